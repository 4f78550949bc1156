"""The bridge between a running session and the views: poll, build, hand over, account.

A QTimer on the UI thread polls the session's Recorder at ~30 Hz. When something changed it
builds a fresh, consistent Trace (an :class:`IncrementalBuilder`: only records new since the
last tick are converted) and emits ``traceUpdated(trace)``; the
views' slots run synchronously inside that emit, so the whole update is timed as one piece of
loopviz's own work and recorded on the UI lane as a callback labelled ``loopviz: repaint``.
The window's paint passes are recorded the same way (:meth:`record_own`), so users see the
tool's share of their UI thread next to their program's.

Invariants:
- Nothing here runs while the UI thread is blocked (it is a UI-thread timer); the first tick
  after a block converts everything recorded meanwhile, so the views fill the gap.
- Updates keep to a budget: a tick runs only when its expected cost (the records waiting
  times the measured cost per record) fits in ``max_share`` of the time since the last tick.
  The bridge's share of the UI thread is therefore bounded by construction; a run that
  records faster than the budget can follow leaves the views behind
  (``behindChanged(True)``) until it calms down or ends; the final trace shows all.
- ``loopviz:`` callbacks are recorded only between ``attach`` and ``finish``/``detach``.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal

from loopviz.trace import Recorder, Trace
from loopviz.trace.incremental import IncrementalBuilder

OWN_LABEL = "loopviz: repaint"  # the window's paint passes
UPDATE_LABEL = "loopviz: update"  # a tick: build the trace, hand it to every view
BEHIND_AFTER_NS = 1_000_000_000  # deferred this long: say the views are behind
FIRST_GUESS_MS_PER_RECORD = 0.03  # measured: build + timeline update per step record
UI_THREAD = 0  # the first thread registered with role ui-loop (Recorder.thread_id)


def fingerprint(recorder: Recorder, own_callbacks: int) -> tuple[int, ...]:
    """Cheap counts that change whenever the recorder learned something the views show.

    The bridge's own callbacks are left out: recording them must not count as news.
    """
    return (recorder.step_count(), len(recorder.tasks), len(recorder.blocks),
            len(recorder.diagnostics), len(recorder.jobs), len(recorder.loop_lag),
            len(recorder.ui_heartbeat), len(recorder.callbacks) - own_callbacks,
            sum(1 for t in list(recorder.tasks.values()) if t.ended is not None))


class TraceBridge(QObject):
    """Feeds ``traceUpdated`` from one recorder at a time."""

    traceUpdated = Signal(object)  # Trace
    behindChanged = Signal(bool)  # the views lag the recording to stay within the budget

    def __init__(self, parent: QObject | None = None, *, interval_ms: int = 33,
                 max_share: float = 0.04) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._builder: IncrementalBuilder | None = None
        self._ms_per_record = FIRST_GUESS_MS_PER_RECORD  # smoothed tick cost per step record
        self._steps_done = 0
        self._last_tick_ns = 0
        self.behind = False
        self.deferred = 0  # polls that had news but left it for later (over budget)
        self.max_share = max_share
        self.recorder: Recorder | None = None
        self.trace: Trace | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.poll)
        self._seen: tuple[int, ...] = ()
        self._own = 0  # callbacks this bridge added to the recorder
        self._paint_ns = 0  # paint time recorded since the last tick
        self.ticks = 0  # polls that built and emitted a trace
        self.skipped = 0  # polls that found nothing new
        self.own_ns = 0  # all loopviz work recorded for the current recorder

    @property
    def live(self) -> bool:
        return self.recorder is not None

    def attach(self, recorder: Recorder) -> None:
        """Start following ``recorder`` (a new run)."""
        self.recorder = recorder
        self._builder = IncrementalBuilder(recorder)
        self._ms_per_record = FIRST_GUESS_MS_PER_RECORD
        self._steps_done = self.deferred = 0
        self._last_tick_ns = time.monotonic_ns()
        self.behind = False
        self.trace = None
        self._seen = ()
        self._own = self._paint_ns = self.ticks = self.skipped = self.own_ns = 0
        self._timer.start()

    def detach(self) -> None:
        self._timer.stop()
        self.recorder = None
        self._builder = None
        self._set_behind(False)

    def finish(self, trace: Trace) -> None:
        """The run ended: stop polling and show its final trace (not recorded: it is final)."""
        self.detach()
        self.show(trace)

    def show(self, trace: Trace | None) -> None:
        """Hand a trace (a final or loaded one) to the views, outside any live run."""
        self.trace = trace
        self.traceUpdated.emit(trace)

    def record_own(self, start_ns: int, end_ns: int, label: str = OWN_LABEL) -> None:
        """Record loopviz's work on the UI thread in [start_ns, end_ns] (raw monotonic ns)."""
        recorder = self.recorder
        if recorder is None or end_ns <= start_ns:
            return
        recorder.add_callback(UI_THREAD, start_ns, end_ns, label)
        self._own += 1
        self._paint_ns += end_ns - start_ns
        self.own_ns += end_ns - start_ns

    def poll(self) -> bool:
        """One tick: build and emit if the recorder changed and the budget allows; True if
        the views were updated."""
        recorder, builder = self.recorder, self._builder
        if recorder is None or builder is None:
            return False
        start = time.monotonic_ns()
        seen = fingerprint(recorder, self._own)
        if seen == self._seen:
            self.skipped += 1
            return False
        steps = seen[0]
        if not self._affordable(start, steps):
            self.deferred += 1
            self._set_behind(start - self._last_tick_ns > BEHIND_AFTER_NS)
            return False
        self._seen = seen
        trace = builder.build()
        self.trace = trace
        self.traceUpdated.emit(trace)
        end = time.monotonic_ns()
        self.ticks += 1
        self.record_own(start, end, UPDATE_LABEL)
        records = max(1, steps - self._steps_done)
        per_record = (end - start) / 1e6 / records
        self._ms_per_record = 0.5 * self._ms_per_record + 0.5 * per_record
        self._steps_done = steps
        self._last_tick_ns = end
        self._paint_ns = 0
        self._set_behind(False)
        return True

    def _affordable(self, now_ns: int, steps: int) -> bool:
        """A token bucket: the budget grows with ``max_share`` of the time since the last
        tick; a tick may spend it on the records waiting. (Paint passes are recorded but not
        charged here: most are not the bridge's doing, e.g. the pulse, and a slow first
        frame must not starve the views for seconds.)"""
        allowed_ms = self.max_share * (now_ns - self._last_tick_ns) / 1e6
        expected_ms = self._ms_per_record * max(1, steps - self._steps_done)
        return expected_ms <= allowed_ms

    def _set_behind(self, behind: bool) -> None:
        if behind != self.behind:
            self.behind = behind
            self.behindChanged.emit(behind)

    def current_interval_ms(self) -> int:
        return self._timer.interval()
