"""The teaching tools wired into the main window: time cursor, replay, captions, async stack,
the loop's queues, predict-then-run, side by side, GIF export.

:func:`install` adds a bottom dock (transport, caption, loop queues, async stack), a quiz dock,
and a *Teach* menu whose commands all have shortcuts (keyboard-only operation: ←/→ previous/next
event, Home/End, Space play/pause, [ ] speed, Z zoom to the selected task, Ctrl+↑/↓ select a
task). It only uses the window's public parts (``timeline``, ``chart``, ``code``, ``bridge``,
``runFinished``, ``controls``...), so the window needs one line to get all of it.

Invariants: ``full`` is the newest whole trace (live or finished or opened); ``replaying`` is
True while the timeline and chart show a slice of it (playing or paused mid-replay); the
cursor, the replay and every panel show the same instant.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QWidget

from loopviz.trace import Trace
from loopviz.trace.captions import caption_at
from loopviz.ui.code_view import code_marks
from loopviz.ui.state.cursor import TimeCursor
from loopviz.ui.teaching.captions import CaptionBar
from loopviz.ui.teaching.dock import TeachingDock, TransportBar
from loopviz.ui.teaching.host import TeachingHost
from loopviz.ui.teaching.queues import LoopQueuesView
from loopviz.ui.teaching.quiz import QuizPanel
from loopviz.ui.teaching.replay import ReplayController
from loopviz.ui.teaching.stack_panel import AsyncStackPanel

LIVE_PANEL_MS = 250  # during a live run the panels follow "now" at most this often
LIVE_PANEL_MAX_STEPS = 5_000  # beyond this (or LIVE_PANEL_MAX_TASKS), panels follow a live
LIVE_PANEL_MAX_TASKS = 500  # run only when the cursor moves: their cost is O(records) each
END_PANEL_SCALE = 4  # at the end of a run (or opened) 4x that: a 400k-record run took 8 s
CAPTION_HOLD_WALL_S = 1.2  # during replay a caption stays readable this long (wall time)
SCRUB_HOLD_NS = 100_000_000  # scrubbing: further than this from an event, describe the state
PRESENTATION_SCALE = 1.6


class Teaching:
    def __init__(self, window: TeachingHost) -> None:
        self.window = window
        self.full: Trace | None = None
        self.replaying = False
        self.scale = 1.0
        self.side_by_side: Any = None
        self._recording = False  # a GIF export is rendering frames
        self.cursor = TimeCursor()
        self.replay = ReplayController(window)
        self.caption = CaptionBar()
        self.stack = AsyncStackPanel()
        self.queues = LoopQueuesView()
        self.quiz = QuizPanel()
        self._live_timer = QTimer(window)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(LIVE_PANEL_MS)
        self._live_timer.timeout.connect(self._refresh_panels)
        self._build_docks()
        self._build_actions()
        self._connect()

    # ---- construction ----------------------------------------------------------------------
    def _build_docks(self) -> None:
        w = self.window
        self.transport = TransportBar()
        self.dock = TeachingDock(w, self.transport, self.caption, self.queues, self.stack)
        w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        # Hidden until a teaching action needs it (the timeline gets the room by default);
        # F9 toggles it, and the window remembers the choice.
        self.dock.hide()
        w.addAction(self.dock.toggleViewAction())
        self.quiz_dock = QDockWidget("Predict, then run", w)
        self.quiz_dock.setObjectName("dock-quiz")
        self.quiz_dock.setWidget(self.quiz)
        w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.quiz_dock)
        self.quiz_dock.hide()

    def _action(self, text: str, shortcut: str | None, slot: Any, *,
                checkable: bool = False) -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setToolTip(f"{text.replace('&', '')} ({QKeySequence(shortcut).toString()})")
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slot)
        self.window.addAction(action)
        return action

    def _build_actions(self) -> None:
        c, r = self.cursor, self.replay
        self.act: dict[str, QAction] = {
            "play": self._action("&Replay / pause", "Space", lambda: self.toggle_replay()),
            "prev": self._action("&Previous event", "Left", lambda: c.step(-1)),
            "next": self._action("&Next event", "Right", lambda: c.step(+1)),
            "home": self._action("&Start of the run", "Home", c.home),
            "end": self._action("&End of the run", "End", self.show_end),
            "slower": self._action("S&lower replay", "[", lambda: r.faster(-1)),
            "faster": self._action("&Faster replay", "]", lambda: r.faster(+1)),
            "clear": self._action("&Clear the cursor", "Backspace", self.clear_cursor),
            "zoom": self._action("&Zoom to selected task", "Z", self.zoom_to_selected),
            "task_up": self._action("Select previous task", "Ctrl+Up", lambda: self.select(-1)),
            "task_down": self._action("Select next task", "Ctrl+Down", lambda: self.select(+1)),
            "captions": self._action("Ca&ptions", "C", self.set_captions, checkable=True),
            "quiz": self._action("&Quiz mode (predict, then run)", "Q", self.set_quiz,
                                 checkable=True),
            "focus": self._action("Focus on the timeline (hide side panels)", "F10",
                                  self.set_focus_view, checkable=True),
            "side": self._action("Run &side by side (pitfall | fixed)", "Ctrl+B",
                                 lambda: self.run_side_by_side()),
            "gif": self._action("Export replay as &GIF or MP4…", None, lambda: self.ask_gif()),
        }
        self.act["captions"].setChecked(True)
        menu = self.window.menuBar().addMenu("&Teach")
        for key in ("play", "prev", "next", "home", "end", "clear", None, "slower", "faster",
                    None, "captions", "quiz", "focus", "zoom", "task_up", "task_down", None,
                    "side", "gif"):
            if key is None:
                menu.addSeparator()
            else:
                menu.addAction(self.act[key])
        menu.addAction(self.dock.toggleViewAction())
        self.menu = menu

    def _connect(self) -> None:
        w = self.window
        b = self.transport.buttons
        b["home"].clicked.connect(self.cursor.home)
        b["prev"].clicked.connect(lambda: self.cursor.step(-1))
        b["play"].clicked.connect(lambda: self.toggle_replay())
        b["next"].clicked.connect(lambda: self.cursor.step(+1))
        b["end"].clicked.connect(self.show_end)
        speed_box = self.transport.speed_box
        speed_box.currentIndexChanged.connect(
            lambda i: self.replay.set_speed(speed_box.itemData(i)))
        self.replay.speedChanged.connect(self._speed_changed)
        self.replay.frame.connect(self.show_frame)
        self.replay.playingChanged.connect(self._playing_changed)
        self.replay.finished.connect(self._replay_finished)
        self.cursor.moved.connect(self._cursor_moved)
        w.timeline.cursorMoved.connect(self._scrubbed)
        w.timeline.timeClicked.connect(self._scrubbed)
        w.bridge.traceUpdated.connect(self.set_trace)
        w.runFinished.connect(self._run_finished)
        w.browser.targetSelected.connect(lambda *_: self._demo_changed())  # after the window's
        w.commands.run.triggered.connect(lambda: self.quiz.set_locked(True))
        w.commands.presentation.toggled.connect(self.set_presentation)
        self.stack.frameActivated.connect(self._show_line)
        self._demo_changed()

    # ---- the trace -------------------------------------------------------------------------
    def set_trace(self, trace: Trace | None) -> None:
        """A new or grown whole trace from the bridge (live tick, finished run, opened file)."""
        if self.replaying and trace is not self.full:
            self.stop_replay(show_full=False)
        self.full = trace
        self.cursor.set_trace(trace)
        self.replay.set_trace(trace)
        if self.window.runs.running and self.cursor.t_ns is None:
            if not self._live_timer.isActive():
                self._live_timer.start()
        else:
            self._refresh_panels()

    def _live_ok(self, scale: int = 1) -> bool:
        return self.full is None or (len(self.full.steps) <= scale * LIVE_PANEL_MAX_STEPS
                                     and len(self.full.tasks) <= scale * LIVE_PANEL_MAX_TASKS)

    # ---- cursor ----------------------------------------------------------------------------
    def _scrubbed(self, seconds: float) -> None:
        if self.full is not None:
            self.cursor.set_seconds(seconds)

    def _cursor_moved(self, t_ns: int | None) -> None:
        if t_ns is not None and not self.dock.isVisible():
            self.dock.show()  # the cursor moved: show what the loop holds at that instant
        if self.replaying and t_ns is not None and not self.replay.playing:
            self.replay.seek(t_ns)  # paused mid-replay: scrubbing reveals up to the cursor
            return
        self.window.timeline.set_cursor_time(None if t_ns is None else t_ns / 1e9)
        if t_ns is not None and self.full is not None:
            self._keep_in_view(t_ns / 1e9)
        self._refresh_panels()

    def _keep_in_view(self, seconds: float) -> None:
        """Keyboard stepping and jumps must not leave the cursor off screen."""
        view_box = self.window.timeline.view_box
        (x0, x1), _ = view_box.viewRange()
        if not x0 <= seconds <= x1:
            span = x1 - x0
            if self.full is not None and span >= self.full.duration_ns / 1e9:
                view_box.setXRange(0.0, self.full.duration_ns / 1e9 * 1.03, padding=0)
            else:
                view_box.setXRange(seconds - span / 2, seconds + span / 2, padding=0)

    def _show_line(self, file: str, line: int) -> None:
        from loopviz.ui.code_view import same_file

        if same_file(file, self.window.code.source_file):
            self.window.code.scroll_to_line(line)

    def clear_cursor(self) -> None:
        self.stop_replay()
        self.cursor.clear()

    def show_end(self) -> None:
        if self.replaying:
            self.stop_replay()
        self.cursor.end()

    # ---- replay ----------------------------------------------------------------------------
    def toggle_replay(self) -> None:
        if self.full is None or self.window.runs.running:
            return
        if self.replay.playing:
            self.replay.pause()
            return
        start = self.cursor.t_ns if self.replaying and self.cursor.t_ns is not None else None
        if not self.replaying:
            start = 0 if self.cursor.t_ns in (None, self.full.duration_ns) else self.cursor.t_ns
            self._x_range = self.window.timeline.view_box.viewRange()[0]
        self.replaying = True
        self.replay.play(start)

    def play(self, speed: float | None = None) -> None:
        """Replay from the start (at ``speed`` if given)."""
        self.dock.show()
        if speed is not None:
            self.replay.set_speed(speed)
        self.stop_replay(show_full=False)
        self.cursor.t_ns = 0
        self.toggle_replay()

    def stop_replay(self, *, show_full: bool = True) -> None:
        was = self.replaying
        self.replay.pause()
        self.replaying = False
        if was and show_full and self.full is not None:
            self._show_views(self.full)

    def _x_fixed(self) -> None:
        rng = getattr(self, "_x_range", None)
        if self.full is not None and (rng is None or rng[1] <= 0):
            rng = (0.0, max(self.full.duration_ns / 1e9, 1e-3) * 1.03)
        if rng is not None:
            self.window.timeline.view_box.setXRange(*rng, padding=0)

    def _show_views(self, trace: Trace) -> None:
        w = self.window
        w.timeline.set_trace(trace)
        w.chart.set_trace(trace)
        self._x_fixed()

    def show_frame(self, trace: Trace, t_ns: int) -> str:
        """Every view at ``t_ns`` of a replay: the slice in the timeline and chart, the panels
        at ``t_ns``. Returns the caption shown (the GIF export burns it in)."""
        self._show_views(trace)
        self.cursor.t_ns = t_ns
        self.window.timeline.set_cursor_time(t_ns / 1e9)
        moving = self.replay.playing or self._recording
        hold = round(CAPTION_HOLD_WALL_S * self.replay.speed * 1e9) if moving else None
        return self._refresh_panels(hold)

    def _replay_finished(self) -> None:
        self.replaying = False  # the last frame was the whole trace: nothing to restore

    def _playing_changed(self, playing: bool) -> None:
        self.transport.buttons["play"].setText("⏸ Pause" if playing else "▶ Replay")

    def _speed_changed(self, speed: float) -> None:
        self.transport.show_speed(speed)
        self._refresh_panels()

    # ---- panels ----------------------------------------------------------------------------
    def _refresh_panels(self, hold_ns: int | None = None) -> str:
        trace = self.full
        t = self.cursor.effective_ns()
        running = self.window.runs.running
        if self.cursor.t_ns is None and not self._live_ok(1 if running else END_PANEL_SCALE):
            self.transport.clock.setText(
                "  t = now   ·   a big run: the panels show the instant you click on the "
                "timeline")
            return ""
        self.stack.show_at(trace, t)
        self.queues.show_at(trace, t)
        self.caption.show_at(trace, t, SCRUB_HOLD_NS if hold_ns is None else hold_ns)
        if trace is not None and self.cursor.t_ns is not None:
            w = self.window
            w.code.set_marks(code_marks(trace, w.code.source_file, w.selected_task, t))
        end = trace.duration_ns / 1e9 if trace is not None else 0.0
        mark = "now" if self.cursor.t_ns is None else f"{t / 1e9:.3f} s"
        self.transport.clock.setText(
            f"  t = {mark} / {end:.3f} s   ·   replay {self.replay.speed:g}×")
        return self.caption.text() if self.caption.enabled else \
            (caption_at(trace, t, hold_ns or SCRUB_HOLD_NS) if trace is not None else "")

    def set_captions(self, on: bool) -> None:
        self.caption.enabled = on
        self.caption.setVisible(on)
        self._refresh_panels()

    # ---- quiz ------------------------------------------------------------------------------
    def _demo_changed(self) -> None:
        self.quiz.set_demo(self.window.controls.demo)

    def set_quiz(self, on: bool) -> None:
        self.quiz_dock.setVisible(on)
        if on:
            self._demo_changed()

    def _run_finished(self, result: Any) -> None:
        if result is None or not self.act["quiz"].isChecked():
            self.quiz.set_locked(False)
            return
        self.quiz.check(result.trace, result.target.variant, result.target.params)

    # ---- presentation and navigation --------------------------------------------------------
    def set_presentation(self, on: bool) -> None:
        self.scale = PRESENTATION_SCALE if on else 1.0
        self.caption.set_scale(self.scale)
        self.stack.set_scale(self.scale)
        self.queues.set_scale(self.scale)
        self._refresh_panels()

    def set_focus_view(self, on: bool) -> None:
        """Only the timeline, its chart and the teaching dock: for a projector or a recording."""
        main = self.window.splitters["main"]
        for side in (main.widget(0), main.widget(2)):
            if side is not None:
                side.setVisible(not on)

    def zoom_to_selected(self) -> None:
        task = self.window.selected_task
        if task is not None and self.full is not None:
            self.window.timeline.zoom_to_task(task)

    def select(self, direction: int) -> None:
        """Select the previous/next task lane (keyboard-only operation)."""
        tl = self.window.timeline
        tasks = [lane.ident for lane in tl.model.rows if lane.kind == "task"]
        if not tasks:
            return
        current = self.window.selected_task
        i = tasks.index(current) + direction if current in tasks else \
            (0 if direction > 0 else len(tasks) - 1)
        tl.select_task(tasks[i % len(tasks)])

    # ---- side by side and exports ----------------------------------------------------------
    def run_side_by_side(self, variants: tuple[str, ...] | None = None) -> Any:
        """Run the selected demo's variants one after the other and show them stacked."""
        from loopviz.session import TargetError, resolve
        from loopviz.ui.teaching.side_by_side import SideBySideView

        w = self.window
        demo = w.controls.demo
        if demo is None or len(demo.variants) < 2 or w.runs.running:
            w.statusBar().showMessage("Side by side needs a demo with two variants, not running.")
            return None
        try:
            targets = [resolve(demo.id, v, w.controls.values())
                       for v in (variants or demo.variants[:2])]
        except TargetError as exc:
            w.statusBar().showMessage(str(exc))
            return None
        view = self.side_by_side = SideBySideView(scale=self.scale)
        view.resize(1400, 800)
        view.show()
        view.start(w.loop, targets, timeout=w.settings.run_timeout_s())
        return view

    def export_replay(self, path: str, *, fps: float = 10.0, speed: float | None = None,
                      widget: QWidget | None = None, max_width: int = 1100) -> Any:
        """The replay of the current trace as an animated GIF, or an MP4 video when ``path``
        ends in ``.mp4`` (captions burned in)."""
        from loopviz.ui.teaching.record import record_replay

        if self.full is None:
            raise ValueError("nothing to record: run a demo or open a trace first")
        trace = self.full
        self.stop_replay(show_full=False)
        self._x_range = (0.0, max(trace.duration_ns / 1e9, 1e-3) * 1.03)
        speed = self.replay.speed if speed is None else speed
        saved = self.replay.speed
        self.replay.speed = speed  # the caption hold follows the recording's speed
        left = self.window.splitters["main"].widget(0)
        left_shown = left is not None and left.isVisible()
        if left is not None:
            left.hide()  # the demo browser is no part of a recording: the timeline gets its room
        self._recording = True
        try:
            info = record_replay(trace, widget or self.window, self.show_frame, path, fps=fps,
                                 speed=speed, max_width=max_width,
                                 caption_points=18.0 * self.scale)
        finally:
            self._recording = False
            self.replay.speed = saved
            if left is not None:
                left.setVisible(left_shown)
            self._show_views(trace)
            self.cursor.t_ns = None
            self._cursor_moved(None)
        return info

    def ask_gif(self) -> None:
        from loopviz.ui import files

        if self.full is None:
            return
        path = files.ask_save_path(self.window, "Export replay",
                                   "Animated GIF (*.gif);;MP4 video (*.mp4)",
                                   files.suggested_name(self.full, ".gif"))
        if path:
            started = time.monotonic()
            try:
                info = self.export_replay(path)
            except (RuntimeError, OSError) as exc:
                files.show_error(self.window, "Export replay", str(exc))
                return
            self.window.statusBar().showMessage(
                f"Saved {info.path}: {info.frames} frames, {info.size[0]}×{info.size[1]}, "
                f"{info.bytes / 1e6:.1f} MB in {time.monotonic() - started:.1f} s")


def install(window: TeachingHost) -> Teaching:
    """Add the teaching tools to ``window`` (see the module docstring)."""
    return Teaching(window)
