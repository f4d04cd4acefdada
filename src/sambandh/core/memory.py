"""Python's cyclic garbage collector, quieted for long runs that allocate millions of objects.

An import or a bulk load makes and drops objects by the million. Each full collection walks
every object the process holds (the framework, its caches: a quarter of a million), and the
default thresholds start one every seventy thousand allocations: measured unpickling an
import's chunks, that was most of the time. ``long_work`` freezes the
objects alive at its start out of the collector's walks and makes young collections rarer;
on the way out both are undone, so nothing is kept longer than the run.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 50_000

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] = (700, 10, 10)


@contextmanager
def long_work() -> Iterator[None]:
    """Run the block with the collector quieted (nested and threaded uses share one setting:
    the last to leave restores it)."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(max(_saved[0], YOUNG_THRESHOLD), _saved[1], _saved[2])
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_saved)
                gc.unfreeze()


def settle() -> None:
    """For a long-lived process once it is ready to serve (a web worker, a task worker): load
    everything a first request would (the URL configuration, every view and API module), then
    freeze what is alive out of the collector's walks. Full collections then walk only what
    requests make: shorter pauses in the slowest requests. (Young collections keep their
    default pace: rarer ones would each walk more, and land as longer pauses.)"""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view and API module
    gc.collect()
    gc.freeze()
