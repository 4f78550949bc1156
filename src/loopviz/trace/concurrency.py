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

from loopviz.trace.model import Trace, max_overlap

# Waits that mean "the outside world is working for this task".
IN_FLIGHT_KINDS: frozenset[str] = frozenset({"sleep", "future", "executor", "other"})


def in_flight_spans(trace: Trace) -> list[tuple[int, int]]:
    """[start, end) of every wait on the outside world (an open one ends with the trace)."""
    end_of_trace = trace.duration_ns
    return [(w.start_ns, w.end_ns if w.end_ns is not None else end_of_trace)
            for w in trace.waits if w.kind in IN_FLIGHT_KINDS]


def in_flight_peak(trace: Trace) -> int:
    """Most tasks in flight at one instant (see the module docstring)."""
    return max_overlap(in_flight_spans(trace))
