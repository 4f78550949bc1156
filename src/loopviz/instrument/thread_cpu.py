"""The CPU time a thread used over a stretch of time: a stalled process told from a blocked thread.

Why: on a loaded machine the whole process can go unscheduled for 100 ms and more. Its UI
thread's heartbeat then shows a gap exactly like a blocking call's, but none of the program's
code ran: the watchdog, not scheduled either, took no sample, and the UI thread used no CPU.
Reporting that as the program's "blocked-loop" (with no culprit) is false, and it made clean
runs fail on busy CI machines. A C call that holds the GIL leaves no sample either, but it uses
the CPU all along, and a blocking call that releases the GIL (``time.sleep``) is sampled.

Contract: :meth:`ThreadCpu.record` is called from one thread (the watchdog's) with increasing
monotonic times, at its ticks; :meth:`ThreadCpu.unscheduled` judges a stall from the readings
around it (False when none cover it). Linux only
(``pthread_getcpuclockid``): :meth:`ThreadCpu.of` is None elsewhere, and nothing changes there.
"""

from __future__ import annotations

import collections
import itertools
import time

__all__ = ["ThreadCpu"]


class ThreadCpu:
    """The CPU clock of one thread, read at the recorder's times (the last ``keep`` readings)."""

    __slots__ = ("_clock", "_log")

    def __init__(self, clock: int, keep: int = 4096) -> None:
        self._clock = clock
        self._log: collections.deque[tuple[int, int]] = collections.deque(maxlen=keep)

    @classmethod
    def of(cls, ident: int) -> ThreadCpu | None:
        """For the thread ``threading.get_ident()`` returned ``ident`` to, if the OS can say."""
        try:
            clock = time.pthread_getcpuclockid(ident)
            time.clock_gettime_ns(clock)
        except (AttributeError, OSError):
            return None
        return cls(clock)

    def record(self, now: int) -> None:
        try:
            self._log.append((now, time.clock_gettime_ns(self._clock)))
        except OSError:  # the thread has ended
            pass

    def used(self, start: int, end: int) -> int | None:
        """CPU ns the thread used between the last reading at or before ``start`` and the
        first at or after ``end`` (None when no readings cover the stretch)."""
        log = self._log
        last = next((i for i in range(len(log) - 1, -1, -1) if log[i][0] <= start), None)
        after = next((log[i] for i in range(last, len(log)) if log[i][0] >= end), None) \
            if last is not None else None
        return None if after is None or last is None else after[1] - log[last][1]

    def unscheduled(self, start: int, end: int, share: float = 0.25) -> bool:
        """True when, between the last reading at or before ``start`` and the first at or after
        ``end``, the thread used less than ``share`` of the wall time in CPU and the reader
        itself missed most of ``[start, end]`` (its readings are its ticks: it was not run
        either). A thread blocked in a call that releases the GIL is read all along; one that
        holds the GIL in a C call uses the CPU; only a process the OS did not run does neither."""
        log = self._log
        last = next((i for i in range(len(log) - 1, -1, -1) if log[i][0] <= start), None)
        if last is None:
            return False
        span = [log[i] for i in range(last, len(log))]
        after = next((r for r in span if r[0] >= end), None)
        if after is None:
            return False
        span = span[:span.index(after) + 1]
        longest = max(b[0] - a[0] for a, b in itertools.pairwise(span))
        used = after[1] - span[0][1]
        return used < share * (after[0] - span[0][0]) and 2 * longest >= end - start
