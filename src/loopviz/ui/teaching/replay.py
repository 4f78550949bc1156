"""Replay: play a finished trace back at 0.1×–4×, feeding the views ``timeslice(trace, t)``.

The controller only keeps time: a UI-thread QTimer at ``fps`` computes the trace instant from
the wall clock (``t = t0 + elapsed × speed``, so a slow tick never slows the replay down, it
skips) and emits ``frame(trace_at_t, t_ns)``; whoever shows it decides how. The last frame is
always the whole trace itself, so a finished replay shows exactly what the live run showed.

Invariant: ``playing`` is True exactly while the timer runs; ``finished`` is emitted once per
replay that reaches the end (not when paused or stopped).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from loopviz.trace import Trace
from loopviz.trace.timeslice import timeslice
from loopviz.ui.state.replay_clock import ReplayClock


class ReplayController(QObject):
    frame = Signal(object, object)  # (Trace as of t, t_ns: past 2**31 ns, no C int holds it)
    playingChanged = Signal(bool)
    speedChanged = Signal(float)
    finished = Signal()

    def __init__(self, parent: QObject | None = None, *, fps: int = 30) -> None:
        super().__init__(parent)
        self.clock = ReplayClock()  # which instant to show: the logic, Qt-free
        self.frames = 0  # frames emitted in the current replay
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, round(1000 / fps)))
        self._timer.timeout.connect(self._tick)

    @property
    def trace(self) -> Trace | None:
        return self.clock.trace

    @property
    def t_ns(self) -> int:
        return self.clock.t_ns

    @property
    def speed(self) -> float:
        return self.clock.speed

    @speed.setter
    def speed(self, speed: float) -> None:
        self.clock.speed = speed

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def set_trace(self, trace: Trace | None) -> None:
        """The trace to replay (a new one stops any replay in progress)."""
        if trace is not self.clock.trace:
            self.pause()
            self.clock.set_trace(trace)

    def set_speed(self, speed: float) -> None:
        """0.1×–4× (clamped); takes effect at once, from the current instant."""
        self.speedChanged.emit(self.clock.set_speed(speed))

    def faster(self, direction: int) -> None:
        """The next preset speed up (+1) or down (-1)."""
        self.set_speed(self.clock.next_speed(direction))

    def play(self, from_ns: int | None = None) -> bool:
        """Start (or resume) at ``from_ns`` (default: where it is; from 0 if at the end)."""
        if not self.clock.start(from_ns):
            return False
        self.frames = 0
        self._emit(self.clock.t_ns)
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
        if self.clock.seek(t_ns):
            self._emit(self.clock.t_ns)

    def _tick(self) -> None:
        if self.clock.trace is None:
            self.pause()
            return
        ended = self.clock.advance()
        self._emit(self.clock.t_ns)
        if ended:
            self.pause()
            self.finished.emit()

    def _emit(self, t_ns: int) -> None:
        assert self.clock.trace is not None
        self.frames += 1
        self.frame.emit(timeslice(self.clock.trace, t_ns), t_ns)
