"""The time cursor: one instant on the shared time axis that every teaching view shows.

The cursor is a model, not a widget: views subscribe to ``moved`` and ask the trace for the
state at that instant. ``t_ns`` None means "no cursor": views show the end of the trace (for a
live run, "now"). Keyboard stepping goes from event to event (:func:`event_times`), so a learner
lands exactly on a step start, a wake-up or a job start, never in between.
"""

from __future__ import annotations

from loopviz.trace import Trace
from loopviz.trace.timeslice import next_event, prev_event
from loopviz.ui.state.notify import Notifier


class TimeCursor:
    """Invariant: ``t_ns`` is None or within [0, trace.duration_ns] of the current trace."""

    def __init__(self) -> None:
        self.moved: Notifier[int | None] = Notifier()  # int ns, or None (cleared)
        self.trace: Trace | None = None
        self.t_ns: int | None = None

    def set_trace(self, trace: Trace | None) -> None:
        """A new or grown trace; the cursor stays where it is (clamped to the new end)."""
        self.trace = trace
        if trace is None:
            self.clear()
        elif self.t_ns is not None and self.t_ns > trace.duration_ns:
            self.set_time(trace.duration_ns)

    def effective_ns(self) -> int:
        """The instant the views show: the cursor, or the end of the trace."""
        if self.t_ns is not None:
            return self.t_ns
        return self.trace.duration_ns if self.trace is not None else 0

    def set_time(self, t_ns: int | None) -> None:
        if t_ns is not None:
            end = self.trace.duration_ns if self.trace is not None else 0
            t_ns = min(max(int(t_ns), 0), end)
        self.t_ns = t_ns
        self.moved.emit(t_ns)

    def set_seconds(self, seconds: float) -> None:
        self.set_time(round(seconds * 1e9))

    def clear(self) -> None:
        self.set_time(None)

    def step(self, direction: int) -> None:
        """To the next (+1) or previous (-1) event; from no cursor, back from the end."""
        if self.trace is None:
            return
        t = self.effective_ns()
        self.set_time(next_event(self.trace, t) if direction > 0 else prev_event(self.trace, t))

    def home(self) -> None:
        if self.trace is not None:
            self.set_time(0)

    def end(self) -> None:
        if self.trace is not None:
            self.set_time(self.trace.duration_ns)
