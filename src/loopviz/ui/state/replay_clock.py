"""The replay's clock: which instant of a finished trace a replay shows, from the wall clock.

``t = t0 + elapsed × speed``, so a slow tick never slows a replay down, it skips ahead. The
Qt side (``ui/teaching/replay.py``) only ticks it and turns instants into frames.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from loopviz.trace import Trace

SPEEDS: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)


class ReplayClock:
    """Invariant: ``0 <= t_ns <= trace.duration_ns`` and ``SPEEDS[0] <= speed <= SPEEDS[-1]``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.trace: Trace | None = None
        self.speed = 1.0
        self.t_ns = 0
        self._clock = clock
        self._t0 = 0
        self._wall0 = 0.0

    def set_trace(self, trace: Trace | None) -> None:
        """A trace to replay, shown at its end until played."""
        self.trace = trace
        self.t_ns = trace.duration_ns if trace is not None else 0

    def set_speed(self, speed: float) -> float:
        """0.1×–4× (clamped), from the current instant on; returns the speed set."""
        self.rebase()
        self.speed = min(max(float(speed), SPEEDS[0]), SPEEDS[-1])
        return self.speed

    def next_speed(self, direction: int) -> float:
        """The preset speed after (+1) or before (-1) the current one."""
        i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - self.speed))
        return SPEEDS[min(max(i + direction, 0), len(SPEEDS) - 1)]

    def start(self, from_ns: int | None = None) -> bool:
        """From ``from_ns`` (default: where it is; from 0 when at the end); False: no trace."""
        if self.trace is None:
            return False
        start = self.t_ns if from_ns is None else from_ns
        if start >= self.trace.duration_ns:
            start = 0
        self.t_ns = max(0, int(start))
        self.rebase()
        return True

    def seek(self, t_ns: int) -> bool:
        """Jump to ``t_ns`` (clamped); False: no trace."""
        if self.trace is None:
            return False
        self.t_ns = min(max(int(t_ns), 0), self.trace.duration_ns)
        self.rebase()
        return True

    def rebase(self) -> None:
        """Count elapsed time from now and the current instant."""
        self._t0, self._wall0 = self.t_ns, self._clock()

    def advance(self) -> bool:
        """Move to the instant the wall clock says; True when that is the end of the trace."""
        if self.trace is None:
            return True
        t = self._t0 + round((self._clock() - self._wall0) * self.speed * 1e9)
        self.t_ns = min(t, self.trace.duration_ns)
        return t >= self.trace.duration_ns
