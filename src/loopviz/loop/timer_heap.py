"""asyncio's timer heap bookkeeping, as ``BaseEventLoop._run_once`` does it, for the Qt loop.

Why apart from ``qt_loop``: what happens to the heap of TimerHandles (``_scheduled``) is
asyncio's own rule, while ``qt_loop`` decides when a batch runs; the same rule serves its
timer arming and its batches.

Contract: each function takes the heap (a list kept with :mod:`heapq`) and returns how many
cancelled timers it took off, for the loop's ``_timer_cancelled_count``; every timer taken off
is marked unscheduled, as asyncio's loop marks it.
"""

from __future__ import annotations

import asyncio
import heapq
from collections import deque

from loopviz import _cpython

__all__ = ["drop_cancelled_head", "move_due", "without_cancelled"]


def drop_cancelled_head(scheduled: list[asyncio.TimerHandle]) -> int:
    """Pop cancelled timers off the head, so the head is the earliest live timer (if any)."""
    n = 0
    while scheduled and scheduled[0].cancelled():
        _cpython.timer_unscheduled(heapq.heappop(scheduled))
        n += 1
    return n


def without_cancelled(scheduled: list[asyncio.TimerHandle]) -> list[asyncio.TimerHandle]:
    """A new heap of the live timers (asyncio rebuilds it once most timers are cancelled)."""
    live = []
    for handle in scheduled:
        if handle.cancelled():
            _cpython.timer_unscheduled(handle)
        else:
            live.append(handle)
    heapq.heapify(live)
    return live


def move_due(scheduled: list[asyncio.TimerHandle], now: float,
             ready: deque[asyncio.Handle]) -> int:
    """Move the live timers due at ``now`` to ``ready`` (in due order); cancelled ones met on
    the way are dropped. Returns how many were cancelled."""
    n = 0
    while scheduled:
        handle = scheduled[0]
        cancelled = handle.cancelled()
        if not cancelled and handle.when() > now:
            break
        heapq.heappop(scheduled)
        _cpython.timer_unscheduled(handle)
        if cancelled:
            n += 1
        else:
            ready.append(handle)
    return n
