"""gc_paused: the collector is off inside, back as it was after, and what the block made
waits in the oldest generation (or frozen, when the heap is kept frozen) instead of being
walked by the next young collection."""

from __future__ import annotations

import gc

from estate.memory import gc_paused, release_free_memory


class Node:
    pass


def test_the_collector_is_paused_inside_and_restored_after():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled(), "a collector that was off stays off"
    finally:
        gc.enable()


def test_what_the_block_made_goes_to_the_oldest_generation_and_stays_collectable():
    gc.unfreeze()  # an in-process command run by an earlier test may have frozen the heap
    with gc_paused():
        kept = [Node() for _ in range(3)]
        cycle = Node()
        cycle.me = cycle
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(n) in oldest for n in kept) and id(cycle) in oldest
    assert gc.get_freeze_count() == 0, "nothing is left frozen"
    del cycle
    assert gc.collect() >= 1, "a cycle made in the block is still freed by a full collection"


def test_when_objects_are_kept_frozen_what_the_block_made_joins_them():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with gc_paused():
            made = Node()
        assert gc.get_freeze_count() > frozen
        assert id(made) not in {id(o) for o in gc.get_objects(generation=2)}
    finally:
        gc.unfreeze()
    assert id(made) in {id(o) for o in gc.get_objects(generation=2)}, "and leaves with them"


def test_free_heap_pages_are_released_without_harm():
    kept = [bytearray(1000) for _ in range(1000)]
    freed = [bytearray(1000) for _ in range(50_000)]
    del freed
    release_free_memory()
    assert len(kept) == 1000 and all(len(b) == 1000 for b in kept)
