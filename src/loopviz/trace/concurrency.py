"""How much was going on at once: tasks alive versus work in flight.

"Max concurrency" counted from creation to end says how many tasks *existed* at once; with a
semaphore in front of the work, all twelve throttled jobs exist at once while only three are
doing anything. The number a reader asks about is the second one: how many tasks were *in
flight*, waiting on the outside world (a sleep standing in for a request, a socket's future,
an executor job), rather than queued at a lock, semaphore or queue, parked on an event, or
supervising children (``await task``/``gather``). Steps are left out: one runs at a time on
the loop's thread, and the step in which a task reaches the semaphore is not yet inside it.
"""

from __future__ import annotations

import numpy as np

from loopviz.trace.columns import KIND_CODE
from loopviz.trace.model import Trace, overlap_peak

# Waits that mean "the outside world is working for this task".
IN_FLIGHT_KINDS: frozenset[str] = frozenset({"sleep", "future", "executor", "other", "socket",
                                             "stream", "pipe", "subprocess"})
_IN_FLIGHT_CODES = np.array(sorted(KIND_CODE[k] for k in IN_FLIGHT_KINDS), np.uint8)


def in_flight_peak(trace: Trace) -> int:
    """Most tasks in flight at one instant (see the module docstring); computed once per
    trace, from the wait columns."""
    cached = trace.derived.get("in_flight_peak")
    if cached is None:
        cached = trace.derived["in_flight_peak"] = overlap_peak(*_in_flight_columns(trace))
    return int(cached)


def _in_flight_columns(trace: Trace) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) of every wait on the outside world (an open one ends with the trace)."""
    wt = trace.wait_table
    mine = np.isin(wt.kind, _IN_FLIGHT_CODES)
    return wt.start_ns[mine], wt.end_or(trace.duration_ns)[mine]
