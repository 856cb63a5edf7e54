"""Keep Python's cyclic garbage collector out of the way of large, long-lived data.

Building the graph or the graph pages allocates millions of dicts and lists that all stay
alive and hold no reference cycles. Each allocation burst triggers collections that walk
every tracked object and find nothing to free, so these steps pause the collector. When
it resumes, what the step made is moved straight to the oldest generation: otherwise the
next young collection would walk all of it at once (about a second at a million systems)
and the next middle one again, only to keep it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause cyclic garbage collection for the block; restore the previous state after.

    On leaving, every object the collector tracks goes to the oldest generation
    (``gc.freeze()`` then ``gc.unfreeze()``: two list moves, no walk), where it stays
    collectable but only full collections examine it. When objects are kept frozen
    already (a one-shot command freezes what each stage leaves), what the block made
    is frozen with them instead, and unfrozen with them if they ever are."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        frozen = heap_frozen()
        gc.freeze()
        if not frozen:
            gc.unfreeze()
        if enabled:
            gc.enable()


_kept_frozen = False


def keep_frozen() -> None:
    """``gc.freeze()`` by a process that keeps what it freezes frozen until it ends (a
    one-shot command after each stage, a forked child): :func:`heap_frozen` then knows
    without asking ``gc.get_freeze_count()``, which counts by walking every frozen
    object (tens of millions after a large run)."""
    global _kept_frozen
    gc.freeze()
    _kept_frozen = True


def unfreeze() -> None:
    """``gc.unfreeze()``, undoing :func:`keep_frozen` too."""
    global _kept_frozen
    _kept_frozen = False
    gc.unfreeze()


def heap_frozen() -> bool:
    """Whether objects are kept frozen (see :func:`keep_frozen`), or frozen at all."""
    return _kept_frozen or gc.get_freeze_count() > 0


def release_free_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``).

    Each stage frees large temporaries, but glibc keeps their pages, so without this the
    process stays as large as its peak and a forked child adds its own pages on top.
    Elsewhere than glibc it does nothing."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
