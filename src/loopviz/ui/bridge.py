"""The bridge between a running session and the views: one frame at a time, within a budget.

A QTimer on the UI thread ticks at ~30 Hz. A tick with news asks the live feed (an
:class:`IncrementalBuilder` over the session's Recorder) for the next trace, bounded to the
steps that fit the frame's budget, and emits ``traceUpdated(trace)``; the views' slots run
inside that emit, so build and view updates are timed together as one piece of loopviz's own
work, recorded on the UI lane as ``loopviz: update``. The window's paint passes are recorded
the same way (:meth:`record_own`, ``loopviz: repaint``), so users see the tool's share of their
UI thread next to their program's, and the program's lag figures leave it out.

Invariants:
- Nothing here runs while the UI thread is blocked (it is a UI-thread timer); the ticks after
  a block read what was recorded meanwhile, a budget at a time, so the views fill the gap.
- One tick never takes more than about ``slice_ms`` (its steps are bounded by the measured
  cost per step), and over time the update and paint passes together take at most
  ``max_share`` of the thread (a token bucket filled at ``max_share`` of the time that passes,
  spent by both; at least 4 frames a second whatever it holds). A run that records faster
  than the budget can follow leaves the views behind (``behindChanged(True)``) until it
  calms down; the views then catch up.
- The feed is anything with ``build(max_steps) -> Trace`` and ``caught_up`` (a local
  recorder's builder, or one fed from elsewhere); ``attach`` takes a Recorder and makes its
  builder, ``attach_feed`` any feed.
- A program watched from outside (its recorder a remote mirror) is followed with
  ``own_work=False``: this window's work is not the program's and is not recorded into it.
- ``loopviz:`` callbacks are recorded only between ``attach`` and ``finish``/``detach``.
- A local run (:meth:`follow`) is built on a worker thread (:class:`BuildWorker`): a poll
  hands the views the trace built since the last one and asks for the next, so the UI
  thread pays only for the views (their cost sets the batch size); ``worker_cpu_ns`` is the
  worker's CPU time, reported beside the UI thread's share (it shares the GIL).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy.ma  # noqa: F401  np.unique imports it on first use: 40 ms inside a live frame
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QTimer, Signal

from loopviz.trace import Recorder, Trace
from loopviz.trace.incremental import IncrementalBuilder
from loopviz.ui.live_build import BuildWorker

if TYPE_CHECKING:
    from loopviz.recording import Recording

OWN_LABEL = "loopviz: repaint"  # the window's paint passes
UPDATE_LABEL = "loopviz: update"  # a tick: build the trace, hand it to every view
BEHIND_AFTER_NS = 1_000_000_000  # this far behind the recording: say the views are behind
FIRST_GUESS_MS_PER_STEP = 0.002  # a tick's cost per step (build + views, numpy batches)
MIN_STEPS = 200  # a tick reads at least this many (the views always move on)
MAX_WAIT_NS = 250_000_000  # however tight the budget, the views move at least 4 times a second
UI_THREAD = 0  # the first thread registered with role ui-loop (Recorder.thread_id)
DEFAULT_SHARE = 0.05  # of the UI thread, which a local run's program shares with the views
ATTACHED_SHARE = 0.5  # a program watched from outside runs elsewhere: only the views pay



def next_slice(steps: int, cost_ms: float, aim_ms: float) -> int:
    """The end of a run's next slice: twice as many steps when this one cost under half the
    aim, half as many (at least MIN_STEPS) when it cost more than the aim."""
    if cost_ms < aim_ms / 2:
        return steps * 2
    return max(MIN_STEPS, steps // 2) if cost_ms > aim_ms else steps

class LiveFeed(Protocol):
    """Successive traces of one growing run (see ``loopviz.trace.incremental``)."""

    caught_up: bool

    def build(self, max_steps: int | None = None) -> Trace: ...


def fingerprint(recorder: Recorder, own_callbacks: int) -> tuple[int, ...]:
    """Cheap counts that change whenever the recorder learned something the views show.

    The bridge's own callbacks are left out: recording them must not count as news.
    """
    dropped = recorder.list_dropped
    return (recorder.step_count() + recorder.raw_dropped()[0], len(recorder.tasks),
            len(recorder.blocks), len(recorder.diagnostics), len(recorder.jobs),
            len(recorder.loop_lag) + dropped["loop_lag"],
            len(recorder.ui_heartbeat) + dropped["ui_heartbeat"],
            len(recorder.callbacks) + dropped["callbacks"] - own_callbacks)


class TraceBridge(QObject):
    """Feeds ``traceUpdated`` from one live feed at a time."""

    traceUpdated = Signal(object)  # Trace
    behindChanged = Signal(bool)  # the views lag the recording to stay within the budget

    def __init__(self, parent: QObject | None = None, *, interval_ms: int = 33,
                 max_share: float = DEFAULT_SHARE, slice_ms: float = 8.0) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.max_share = self._base_share = max_share
        self._own_work = True
        self._backlog: Callable[[], bool] | None = None
        self.slice_ms = slice_ms
        self.recorder: Recorder | None = None
        self.feed: LiveFeed | None = None
        self.trace: Trace | None = None
        self.behind = False
        self._worker: BuildWorker | None = None
        self.worker_cpu_ns = 0  # CPU time of the current run's builds on the worker thread
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.poll)
        self._reset()

    def _reset(self) -> None:
        self._ms_per_step = FIRST_GUESS_MS_PER_STEP
        self._tokens_ms = self.slice_ms
        self._last_poll_ns = self._last_tick_ns = time.monotonic_ns()
        self._behind_since_ns: int | None = None
        self._seen: tuple[int, ...] = ()
        self._own = 0  # callbacks this bridge added to the recorder
        self._paint_ns = 0  # paint time recorded since the last poll (charged to the bucket)
        self.ticks = 0  # polls that built and emitted a trace (frames with news)
        self.skipped = 0  # polls that found nothing new
        self.deferred = 0  # polls that had news but no budget left
        self.own_ns = 0  # all loopviz work recorded for the current recorder
        self.longest_tick_ns = 0
        self.steps_read = 0
        self.worker_cpu_ns = 0

    @property
    def live(self) -> bool:
        return self.feed is not None

    @property
    def builder(self) -> LiveFeed | None:
        return self.feed

    def attach(self, recorder: Recorder, *, own_work: bool = True,
               backlog: Callable[[], bool] | None = None,
               max_share: float | None = None) -> IncrementalBuilder:
        """Start following ``recorder`` (a new run); returns the builder feeding the views
        (the run's final trace should come from it: only the rest is left to read then).

        For a program watched from outside (its recorder a mirror): ``own_work`` False, as
        this window's UI thread is not the program's; ``backlog``: the recorder fills with
        the program's buffered past first, and once this says it has all arrived the first
        picture is built whole at once, as a file opens (its cost, mostly laying out lanes
        once, teaches the budget nothing); ``max_share`` of this UI thread may go to updates
        (it costs the program nothing)."""
        builder = IncrementalBuilder(recorder)
        self.attach_feed(builder, recorder)
        self._own_work = own_work
        self._backlog = backlog
        self.max_share = self._base_share if max_share is None else max_share
        return builder

    def attach_feed(self, feed: LiveFeed, recorder: Recorder | None = None) -> None:
        """Follow any live feed; ``recorder``, when given, is where news is looked for and
        loopviz's own work recorded (a remote feed has none: every tick asks the feed)."""
        self._close_worker()
        self.feed = feed
        self.recorder = recorder
        self._own_work = True
        self._backlog = None
        self.max_share = self._base_share
        self.trace = None
        self.behind = False
        self._reset()
        self._timer.start()

    def detach(self) -> None:
        self._timer.stop()
        self._close_worker()
        self.recorder = None
        self.feed = None
        self._set_behind(False)

    def follow(self, recording: Recording) -> None:
        """Follow a local run: its final trace is then this bridge's builder's, the rest
        read in slices when the run ends (:meth:`catch_up`)."""
        recording.builder = builder = self.attach(recording.recorder)
        recording.catch_up = self.catch_up
        self._worker = BuildWorker(builder)

    def _close_worker(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            self.worker_cpu_ns = worker.cpu_ns
            worker.close()

    def catch_up(self, builder: IncrementalBuilder) -> Trace:
        """The run ended with the views behind it: read the rest a slice at a time, the views
        following each, and let the window handle its events (paint, input) between slices,
        so the end of a big run never freezes it for long. A slice aims at ``4 * slice_ms``
        (the program is over: the thread is loopviz's now, and not recorded as its work; each
        slice is followed by a paint, so fewer, bigger slices end sooner); its size doubles
        while slices come in under half that and halves when one overruns. Returns the final
        trace (everything recorded)."""
        self._timer.stop()  # no poll reads from the builder meanwhile
        self._own_work = False
        aim_ms = 4 * self.slice_ms
        steps = max(MIN_STEPS, int(aim_ms / self._ms_per_step))
        if self._worker is not None:
            return self._catch_up_on(self._worker, steps, aim_ms)
        while True:
            start = time.monotonic_ns()
            trace = builder.build(steps)
            self.trace = trace
            if builder.caught_up:
                return trace  # the window shows it next (``finish``)
            self.traceUpdated.emit(trace)
            self.steps_read = len(trace.steps)
            cost_ms = (time.monotonic_ns() - start) / 1e6
            steps = next_slice(steps, cost_ms, aim_ms)
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)

    def _catch_up_on(self, worker: BuildWorker, steps: int, aim_ms: float) -> Trace:
        """:meth:`catch_up` with the builds on the worker: each slice is built while the
        views take the one before, the window's events handled while it waits. A build
        under way when the run ended is shown first; the final trace is the first caught-up
        build asked for after the end."""
        asked = worker.idle and worker.request(steps)
        while True:
            while not worker.wait(0.005):
                QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
            trace = worker.take()
            if trace is None:  # nothing was under way: ask for the first slice after the end
                asked = worker.request(steps)
                continue
            self.worker_cpu_ns = worker.cpu_ns
            if asked and worker.builder.caught_up:
                self.trace = trace
                return trace  # the window shows it next (``finish``)
            asked = worker.request(steps)  # built while the views take this one
            start = time.monotonic_ns()
            self.trace = trace
            self.traceUpdated.emit(trace)
            self.steps_read = len(trace.steps)
            cost_ms = (time.monotonic_ns() - start) / 1e6
            steps = next_slice(steps, cost_ms, aim_ms)
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)

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
        if self.feed is None or end_ns <= start_ns:
            return
        if recorder is not None and self._own_work:
            recorder.add_callback(UI_THREAD, start_ns, end_ns, label)
            self._own += 1
        if label != UPDATE_LABEL:
            self._paint_ns += end_ns - start_ns
        self.own_ns += end_ns - start_ns

    def poll(self) -> bool:
        """One frame: read what fits the budget, hand it to the views; True if they were
        updated."""
        feed, recorder = self.feed, self.recorder
        if feed is None:
            return False
        start = time.monotonic_ns()
        self._fill(start)
        if self._worker is not None:
            return self._poll_worker(self._worker, start)
        seen = fingerprint(recorder, self._own) if recorder is not None else (start,)
        if seen == self._seen and feed.caught_up:
            self.skipped += 1
            return False
        arrived = self._backlog
        whole = arrived is not None
        if arrived is not None:
            if not arrived():
                return False  # the past is still arriving: one picture of all of it, soon
            self._backlog = None
        elif self._tokens_ms <= 0 and start - self._last_tick_ns < MAX_WAIT_NS:
            self.deferred += 1
            self._note_behind(start)
            return False
        self._seen = seen
        allowed_ms = min(self.slice_ms, max(self._tokens_ms, 1.0))
        max_steps = max(MIN_STEPS, int(allowed_ms / self._ms_per_step))
        trace = feed.build(None if whole else max_steps)
        self._present(trace, start, feed.caught_up, learn=not whole)
        return True

    def _poll_worker(self, worker: BuildWorker, start: int) -> bool:
        """One frame of a local run built on the worker: the trace it finished goes to the
        views (if the budget allows), and the next build is asked for whenever there is
        news, sized so the views can take it within a slice."""
        shown = False
        if not worker.idle:
            if worker.wait(0):  # a build is waiting to be taken
                if self._tokens_ms <= 0 and start - self._last_tick_ns < MAX_WAIT_NS:
                    self.deferred += 1
                    self._note_behind(start)
                    return False
                shown = self._show_built(worker, start)
            else:
                return False  # still building
        assert self.recorder is not None
        seen = fingerprint(self.recorder, self._own)
        if seen != self._seen or not worker.builder.caught_up:
            self._seen = seen
            allowed_ms = min(self.slice_ms, max(self._tokens_ms, 1.0))
            worker.request(max(MIN_STEPS, int(allowed_ms / self._ms_per_step)))
        elif not shown:
            self.skipped += 1
        return shown

    def _show_built(self, worker: BuildWorker, start: int) -> bool:
        trace = worker.take()
        if trace is None:
            return False
        self.worker_cpu_ns = worker.cpu_ns
        self._present(trace, start, worker.builder.caught_up, learn=True)
        return True

    def _present(self, trace: Trace, start: int, caught_up: bool, *, learn: bool) -> None:
        """The views take ``trace`` (built here or on the worker): their time is loopviz's own
        work, out of the budget; ``learn``: a build the budget cut short teaches the cost per
        step (a whole backlog's does not)."""
        self.trace = trace
        self.traceUpdated.emit(trace)
        end = self._last_tick_ns = time.monotonic_ns()
        self.ticks += 1
        self.record_own(start, end, UPDATE_LABEL)
        cost_ms = (end - start) / 1e6
        self._tokens_ms -= cost_ms
        self.longest_tick_ns = max(self.longest_tick_ns, end - start)
        if learn and not caught_up:  # the budget, not the recording, ended it
            self._learn(cost_ms, len(trace.steps) - self.steps_read)
        self.steps_read = len(trace.steps)
        if caught_up:
            self._behind_since_ns = None
            self._set_behind(False)
        else:
            self._note_behind(end)

    def _fill(self, now_ns: int) -> None:
        """The token bucket: ``max_share`` of the time since the last poll comes in, paint
        passes since then go out; at most one slice is saved up."""
        self._tokens_ms += self.max_share * (now_ns - self._last_poll_ns) / 1e6
        self._tokens_ms -= self._paint_ns / 1e6
        self._tokens_ms = min(max(self._tokens_ms, -self.slice_ms), self.slice_ms)
        self._paint_ns = 0
        self._last_poll_ns = now_ns

    def _learn(self, cost_ms: float, steps: int) -> None:
        """Cost model: a whole tick's cost per step read (smoothed), learnt from the ticks the
        budget cut short. A tick's fixed part is in it: as batches grow it weighs less per
        step, so the next batch grows until a tick fills its slice."""
        if steps > 0:
            per_step = cost_ms / steps
            self._ms_per_step = max(0.7 * self._ms_per_step + 0.3 * per_step, 1e-5)

    def _note_behind(self, now_ns: int) -> None:
        if self._behind_since_ns is None:
            self._behind_since_ns = now_ns
        self._set_behind(now_ns - self._behind_since_ns > BEHIND_AFTER_NS)

    def _set_behind(self, behind: bool) -> None:
        if behind != self.behind:
            self.behind = behind
            self.behindChanged.emit(behind)

    def current_interval_ms(self) -> int:
        return self._timer.interval()
