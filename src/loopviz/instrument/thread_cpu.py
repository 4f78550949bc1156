"""The CPU time a thread used over a stretch of time: a stalled process told from a blocked thread.

Why: on a loaded machine the whole process can go unscheduled for 100 ms and more. Its UI
thread's heartbeat then shows a gap exactly like a blocking call's, but none of the program's
code ran: the watchdog, not scheduled either, took no sample, and the UI thread used no CPU.
Reporting that as the program's "blocked-loop" (with no culprit) is false, and it made clean
runs fail on busy CI machines. A C call that holds the GIL leaves no sample either, but it uses
the CPU all along, and a blocking call that releases the GIL (``time.sleep``) is sampled.

Contract: :meth:`ThreadCpu.record` is called from one thread (the watchdog's) with increasing
monotonic times; :meth:`ThreadCpu.share` is the watched thread's CPU time over the wall time of
the shortest recorded span covering ``[start, end]``, or None when none covers it. Linux only
(``pthread_getcpuclockid``): :meth:`ThreadCpu.of` is None elsewhere, and nothing changes there.
"""

from __future__ import annotations

import collections
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

    def share(self, start: int, end: int) -> float | None:
        """CPU time / wall time of the thread between the last reading at or before ``start``
        and the first at or after ``end``."""
        after = None
        for t, cpu in reversed(self._log):
            if t >= end:
                after = (t, cpu)
            elif t <= start:
                if after is None or after[0] <= t:
                    return None
                return (after[1] - cpu) / (after[0] - t)
        return None
