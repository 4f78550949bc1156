"""Replay: play a finished trace back at 0.1×–4×, feeding the views ``timeslice(trace, t)``.

The controller only keeps time: a UI-thread QTimer at ``fps`` computes the trace instant from
the wall clock (``t = t0 + elapsed × speed``, so a slow tick never slows the replay down, it
skips) and emits ``frame(trace_at_t, t_ns)``; whoever shows it decides how. The last frame is
always the whole trace itself, so a finished replay shows exactly what the live run showed.

Invariant: ``playing`` is True exactly while the timer runs; ``finished`` is emitted once per
replay that reaches the end (not when paused or stopped).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal

from loopviz.trace import Trace
from loopviz.trace.timeslice import timeslice

SPEEDS: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)


class ReplayController(QObject):
    frame = Signal(object, int)  # (Trace as of t, t_ns)
    playingChanged = Signal(bool)
    speedChanged = Signal(float)
    finished = Signal()

    def __init__(self, parent: QObject | None = None, *, fps: int = 30) -> None:
        super().__init__(parent)
        self.trace: Trace | None = None
        self.speed = 1.0
        self.t_ns = 0
        self.frames = 0  # frames emitted in the current replay
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, round(1000 / fps)))
        self._timer.timeout.connect(self._tick)
        self._t0 = 0
        self._wall0 = 0.0

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def set_trace(self, trace: Trace | None) -> None:
        """The trace to replay (a new one stops any replay in progress)."""
        if trace is not self.trace:
            self.pause()
            self.trace = trace
            self.t_ns = trace.duration_ns if trace is not None else 0

    def set_speed(self, speed: float) -> None:
        """0.1×–4× (clamped); takes effect at once, from the current instant."""
        speed = min(max(float(speed), SPEEDS[0]), SPEEDS[-1])
        if self.playing:
            self._rebase()
        self.speed = speed
        self.speedChanged.emit(speed)

    def faster(self, direction: int) -> None:
        """The next preset speed up (+1) or down (-1)."""
        i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - self.speed))
        self.set_speed(SPEEDS[min(max(i + direction, 0), len(SPEEDS) - 1)])

    def play(self, from_ns: int | None = None) -> bool:
        """Start (or resume) at ``from_ns`` (default: where it is; from 0 if at the end)."""
        if self.trace is None:
            return False
        start = self.t_ns if from_ns is None else from_ns
        if start >= self.trace.duration_ns:
            start = 0
        self.t_ns = max(0, int(start))
        self.frames = 0
        self._rebase()
        self._emit(self.t_ns)
        self._timer.start()
        self.playingChanged.emit(True)
        return True

    def pause(self) -> None:
        if self.playing:
            self._timer.stop()
            self.playingChanged.emit(False)

    def toggle(self, from_ns: int | None = None) -> None:
        if self.playing:
            self.pause()
        else:
            self.play(from_ns)

    def seek(self, t_ns: int) -> None:
        """Show ``t_ns`` now (playing or not)."""
        if self.trace is None:
            return
        self.t_ns = min(max(int(t_ns), 0), self.trace.duration_ns)
        self._rebase()
        self._emit(self.t_ns)

    def _rebase(self) -> None:
        self._t0, self._wall0 = self.t_ns, time.monotonic()

    def _tick(self) -> None:
        trace = self.trace
        if trace is None:
            self.pause()
            return
        t = self._t0 + round((time.monotonic() - self._wall0) * self.speed * 1e9)
        if t >= trace.duration_ns:
            self.t_ns = trace.duration_ns
            self._emit(trace.duration_ns)
            self.pause()
            self.finished.emit()
            return
        self.t_ns = t
        self._emit(t)

    def _emit(self, t_ns: int) -> None:
        assert self.trace is not None
        self.frames += 1
        self.frame.emit(timeslice(self.trace, t_ns), t_ns)
