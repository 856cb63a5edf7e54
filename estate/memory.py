"""Keep Python's cyclic garbage collector out of the way of large, long-lived data.

Building the graph or the graph pages allocates millions of dicts and lists that all stay
alive and hold no reference cycles. Each allocation burst triggers collections that walk
every tracked object and find nothing to free, so these steps pause the collector.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause cyclic garbage collection for the block; restore the previous state after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
