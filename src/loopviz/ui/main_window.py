"""The main window: demo browser and explanation on the left, the timeline with the
responsiveness chart below it in the middle (most of the room), code and findings on the right.

The window wires parts that do not know each other: the browser picks a target, the controls
give its variant and knobs, :class:`RunController` runs it on the UI thread's loop,
:class:`TraceBridge` feeds every view from the recorder, and the views report clicks back
(task selected, time clicked, finding activated). A saved trace opens in the same views,
read-only. Invariant: ``self.trace`` is the trace every view currently shows.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QSplitter,
    QWidget,
)

from loopviz.demos import Demo, all_demos, get_demo
from loopviz.session import RunResult, Session, Target, TargetError, resolve
from loopviz.trace import Finding, Trace
from loopviz.trace.source import recorded_source
from loopviz.trace.wording import duration
from loopviz.ui import files
from loopviz.ui.actions import WindowActions
from loopviz.ui.attaching import install as install_attaching
from loopviz.ui.bridge import TraceBridge
from loopviz.ui.browser import DemoBrowser
from loopviz.ui.code_view import CodeView, code_marks
from loopviz.ui.controls import ParamControls
from loopviz.ui.explain import ExplanationView
from loopviz.ui.findings import (
    FindingsPanel,
    findings_for_saved,
    summary_line,
)
from loopviz.ui.presentation import Presentation
from loopviz.ui.responsiveness import PulseIndicator, ResponsivenessChart
from loopviz.ui.runs import RunController
from loopviz.ui.settings import AppSettings, restore_layout, save_layout
from loopviz.ui.teaching import install as install_teaching
from loopviz.ui.teaching.host import TeachingHost
from loopviz.ui.theme import LIGHT, Theme
from loopviz.ui.timeline.view import TimelineView

SIDE_VIEWS_S = 0.25  # chart, findings, code marks, summary: 4 Hz is plenty while live
BEHIND = ("The run records faster than loopviz's 5 % share of the UI thread allows: the views "
          "catch up when it calms down or ends.")
DEFAULT_SIZES = {"main": [270, 930, 420], "left": [420, 380], "center": [620, 200],
                 "right": [480, 320]}


class MainWindow(TeachingHost):
    runFinished = Signal(object)  # RunResult | None (None: loopviz failed)

    def __init__(self, loop: asyncio.AbstractEventLoop, settings: AppSettings | None = None,
                 demos: list[Demo] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("loopviz")
        self.loop = loop
        self.settings = settings or AppSettings()
        self.theme: Theme = LIGHT
        self.presentation = False
        self.trace: Trace | None = None
        self.findings: list[Finding] = []
        self.status: tuple[str, str | None] | None = None
        self.selected_task: int | None = None
        self.spec: str | None = None
        self.programs: dict[str, Target] = {}  # spec → a program opened with its arguments
        self.read_only_path: str | None = None
        self.run_started = 0.0
        self._side_views_at = 0.0

        self.commands = WindowActions(self)
        self.browser = DemoBrowser(demos if demos is not None else all_demos())
        self.explanation = ExplanationView()
        self.controls = ParamControls()
        self.timeline = TimelineView()
        self.chart = ResponsivenessChart()
        self.code = CodeView()
        self.findings_panel = FindingsPanel()
        self.pulse = PulseIndicator()
        self.clock = QLabel("  0.00 s")
        self.clock.setMinimumWidth(self.clock.fontMetrics().horizontalAdvance("  000.00 s"))
        self.summary_label = QLabel()
        self.bridge = TraceBridge(self)
        self.runs = RunController(loop, self)
        self.file_actions = files.FileActions(self, self.settings)
        self._build_layout()
        self._connect()
        self.teaching = install_teaching(self)  # cursor, replay, queues, stack, quiz, GIF
        self.attacher = install_attaching(self)  # File › Attach: a program served elsewhere
        self.presentation_mode = Presentation(self)
        self.commands.view_menu.addMenu(self.presentation_mode.menu)
        self._restore()

    # ---- construction ----------------------------------------------------------------------
    def _build_layout(self) -> None:
        self.commands.build_menus(self)
        self.toolbar = self.commands.build_toolbar(self, self.controls, self.pulse, self.clock)
        self.splitters: dict[str, QSplitter] = {}
        left = self._splitter("left", Qt.Orientation.Vertical, self.browser, self.explanation)
        center = self._splitter("center", Qt.Orientation.Vertical, self.timeline, self.chart)
        right = self._splitter("right", Qt.Orientation.Vertical, self.code, self.findings_panel)
        main = self._splitter("main", Qt.Orientation.Horizontal, left, center, right)
        main.setStretchFactor(1, 1)
        center.setStretchFactor(0, 1)
        self.setCentralWidget(main)
        self.statusBar().addPermanentWidget(self.summary_label)
        link = getattr(self.timeline, "view_box", None)
        self.chart.link_x(link() if callable(link) else link)

    def _splitter(self, name: str, orientation: Qt.Orientation, *widgets: QWidget) -> QSplitter:
        splitter = QSplitter(orientation)
        splitter.setObjectName(f"splitter-{name}")
        splitter.setChildrenCollapsible(False)
        for widget in widgets:
            splitter.addWidget(widget)
        self.splitters[name] = splitter
        return splitter

    def _connect(self) -> None:
        a = self.commands
        a.run.triggered.connect(self.run)
        a.cancel.triggered.connect(self.cancel)
        a.open_script.triggered.connect(lambda: self.open_script())
        a.open_trace.triggered.connect(lambda: self.open_trace())
        a.save_trace.triggered.connect(lambda: self.show_status(
            self.file_actions.save_trace(self.trace)))
        a.export_chrome.triggered.connect(lambda: self.show_status(
            self.file_actions.export_chrome(self.trace)))
        a.export_png.triggered.connect(lambda: self.show_status(
            self.file_actions.export_image(self.timeline, "png", self.trace)))
        a.export_svg.triggered.connect(lambda: self.show_status(
            self.file_actions.export_image(self.timeline, "svg", self.trace)))
        a.screenshot.triggered.connect(lambda: self.show_status(
            self.file_actions.screenshot(self)))
        a.quit.triggered.connect(self.close)
        a.presentation.toggled.connect(self.set_presentation)
        a.follow_live.toggled.connect(self._set_follow_live)
        self.timeline.followLiveChanged.connect(a.follow_live.setChecked)
        self.browser.targetSelected.connect(self.select_target)
        self.browser.openScriptRequested.connect(lambda: self.open_script())
        self.controls.variant_switch.changed.connect(self._variant_changed)
        self.bridge.traceUpdated.connect(self._show_trace)
        self.bridge.behindChanged.connect(lambda on: self.show_status(BEHIND if on else None))
        self.runs.finished.connect(self._run_finished)
        self.runs.failed.connect(self._run_failed)
        self.timeline.taskSelected.connect(self._task_selected)
        self.findings_panel.entryActivated.connect(self._jump_to)
        self.clock_timer = QTimer(self)
        self.clock_timer.setInterval(100)
        self.clock_timer.timeout.connect(self._tick_clock)

    def _restore(self) -> None:
        restore_layout(self, self.settings, DEFAULT_SIZES)
        last = self.settings.last_demo()
        if last is None or not self.browser.select(last):
            first = next(iter(self.browser.visible_specs()), None)
            if first is not None:
                self.browser.select(first)

    def save_layout(self) -> None:
        save_layout(self, self.settings)

    # ---- selection -------------------------------------------------------------------------
    def select_target(self, spec: str | Target, variant: str | None = None) -> None:
        """Show a demo (by id) or a program (a Target, or a path): explanation, controls,
        source. Nothing of a program runs until Run."""
        if isinstance(spec, Target):
            if spec.program is not None:
                self.programs[spec.id] = spec
            spec = spec.id
        self.spec = spec
        try:
            demo: Demo | None = get_demo(spec)
        except KeyError:
            demo = None
        if self.browser.current() != spec:
            if demo is None:
                self.browser.add_script(spec)
            else:
                self.browser.select(spec)
        if demo is not None:
            chosen = variant or self.settings.last_variant()
            self.controls.set_demo(demo, chosen if chosen in demo.variants else None)
            self.explanation.show_demo(demo, self.controls.variant())
            self.code.show_source(demo.source_file())
            self.settings.set_last_demo(spec)
        else:
            program = self.programs.get(spec)
            self.controls.set_demo(None)
            self.explanation.show_script(spec if program is None else program.source_file)
            self.code.show_source(os.path.abspath(spec) if program is None
                                  else program.source_file)
        self._update_marks()

    def _variant_changed(self, variant: str) -> None:
        self.settings.set_last_variant(variant)
        demo = self.controls.demo
        if demo is not None:
            self.explanation.show_demo(demo, variant)

    def open_script(self, path: str | None = None) -> bool:
        path = path or files.ask_open_path(self, "Open script", files.SCRIPT_FILTER,
                                           self.settings.last_dir("script"))
        if not path:
            return False
        try:
            target = resolve(path)  # reads and compiles it: a syntax error is reported now
        except TargetError as exc:
            files.show_error(self, "Open script", str(exc))
            return False
        self.settings.set_last_dir("script", os.path.dirname(os.path.abspath(path)))
        self.select_target(target)
        return True

    # ---- runs ------------------------------------------------------------------------------
    def run(self) -> Session | None:
        if self.runs.running:
            return None
        spec = self.spec or self.browser.current()
        if spec is None:
            self.show_status("Choose a demo or open a script first.")
            return None
        demo = self.controls.demo
        try:
            program = self.programs.get(spec)
            if program is not None and program.program is not None:
                p = program.program  # read afresh: the file may have changed since
                target = resolve(p.module or p.path or spec, args=p.args,
                                 module=p.module is not None)
            else:
                target = resolve(spec, self.controls.variant() if demo else None,
                                 self.controls.values() if demo else None)
        except TargetError as exc:
            files.show_error(self, "Run", str(exc))
            return None
        session = self.runs.start(target, timeout=self.settings.run_timeout_s())
        if session is None:
            return None
        self.read_only_path = None
        self.findings, self.status, self.selected_task = [], None, None
        self.setWindowTitle(f"loopviz — {target.title}")
        self.commands.set_running(True)
        self.controls.set_enabled_for_run(True)
        self.timeline.set_live(True)
        self.run_started = time.monotonic()
        self.clock_timer.start()
        self.show_status(f"Running {target.title}…")
        # The window's change of state is painted now, before the run's first step starts.
        self.timeline.set_trace(None)
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        self.repaint()
        self.bridge.follow(session.recording)
        return session

    def cancel(self) -> None:
        if self.runs.cancel():
            self.show_status("Cancelling…")

    def _run_finished(self, result: RunResult) -> None:
        self.findings = list(result.findings)
        self.status = (result.status, result.error)
        self.bridge.finish(result.trace)  # still live: the timeline brings the end into view
        self.end_live()
        program = result.target.program is not None
        words = {"finished": "Finished", "raised": "raised" if program else "main raised",
                 "cancelled": "Cancelled", "timeout": "Stopped at the time limit",
                 "exited": "exited" if program else "main called sys.exit",
                 "bad-input": "Cannot run it"}
        detail = f": {result.error}" if result.error and result.status != "cancelled" else ""
        if result.status == "bad-input" and result.error:
            files.show_error(self, "Run", result.error)
        self.show_status(f"{words.get(result.status, result.status)}{detail} "
                     f"({duration(result.trace.duration_ns)})")
        self.runFinished.emit(result)

    def _run_failed(self, message: str) -> None:
        self.end_live()
        self.bridge.detach()
        files.show_error(self, "Run", message)
        self.runFinished.emit(None)

    def end_live(self) -> None:
        self.clock_timer.stop()
        self._tick_clock()
        self.commands.set_running(False)
        self.controls.set_enabled_for_run(False)
        self.timeline.set_live(False)

    def _tick_clock(self) -> None:
        elapsed = (time.monotonic() - self.run_started) if self.run_started else 0.0
        if self.trace is not None and not self.runs.running:
            elapsed = self.trace.duration_ns / 1e9
        self.clock.setText(f"  {elapsed:.2f} s")

    # ---- trace files -----------------------------------------------------------------------
    def open_trace(self, path: str | None = None) -> bool:
        if self.runs.running:
            self.show_status("Cancel the running demo before opening a trace.")
            return False
        loaded = self.file_actions.open_trace(path)
        if loaded is None:
            return False
        trace, path = loaded
        self.read_only_path = path
        self.selected_task = None
        self.status = None
        self.findings = findings_for_saved(trace)
        self.show_recorded_target(trace.meta)
        self.explanation.show_trace(path, trace.meta)
        self.setWindowTitle(f"loopviz — {os.path.basename(path)} (read-only)")
        self.bridge.show(trace)
        self.show_status(f"Opened {path} (read-only)")
        return True

    def show_recorded_target(self, meta: dict[str, Any]) -> None:
        """What an opened trace ran: a demo selects it (its variant and knobs as recorded);
        anything else (a script, ``loopviz.record()``) clears the demo controls and shows
        the program's source as recorded in the trace."""
        try:
            demo: Demo | None = get_demo(str(meta.get("target") or ""))
        except KeyError:
            demo = None
        if demo is not None:
            variant = meta.get("variant")
            self.select_target(demo.id, variant if variant in demo.variants else None)
            self.controls.set_values(meta.get("params") or {})
            return
        self.spec = None
        self.browser.clear_selection()
        self.controls.set_demo(None)
        source = recorded_source(meta)
        if source is None:
            self.code.show_text("", "# this trace names no source file")
        else:
            note = f"# {source.note}\n" if source.note else ""
            self.code.show_text(source.path, note + source.text if not note or source.text
                                else note)

    # ---- showing ---------------------------------------------------------------------------
    def _show_trace(self, trace: Trace | None) -> None:
        """Every view gets the same trace (live ticks, final, or loaded). During a run the
        timeline follows every tick; the other views at most every ``SIDE_VIEWS_S``."""
        self.trace = trace
        self.timeline.set_trace(trace)
        live = self.runs.running or self.attacher.active
        now = time.monotonic()
        if live and now - self._side_views_at < SIDE_VIEWS_S:
            return
        self._side_views_at = now
        self.chart.align_to(self.timeline.view_box)
        self.chart.set_trace(trace)
        self.findings_panel.show_trace(trace, [] if live else self.findings,
                                       None if live else self.status, live=live)
        if not live or self.selected_task is not None:
            self._update_marks()
        self.summary_label.setText(summary_line(trace, live=live))
        if not live:
            self._tick_clock()

    def _update_marks(self) -> None:
        self.code.set_marks(code_marks(self.trace, self.code.source_file, self.selected_task))

    def _task_selected(self, task_id: int) -> None:
        self.selected_task = task_id if task_id >= 0 else None
        self._update_marks()
        if self.code.marks.current:
            self.code.scroll_to_line(self.code.marks.current)
        if self.trace is not None and self.selected_task is not None:
            try:
                info = self.trace.task(task_id)
            except KeyError:
                return
            self.show_status(f"{info.name}: {info.coro} — {info.outcome}")

    def _jump_to(self, t_s: float, file: str, line: int) -> None:
        self.timeline.set_cursor_time(t_s)
        if line and file:
            from loopviz.ui.code_view import same_file

            if not same_file(file, self.code.source_file) and os.path.exists(file):
                self.code.show_source(file)
                self._update_marks()
            self.code.scroll_to_line(line)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for view in (self.chart, self.code, self.findings_panel):
            view.set_theme(theme)
        self.pulse.color = self.palette().highlight().color()
        self.findings_panel.show_trace(self.trace, self.findings, self.status)

    def set_presentation(self, on: bool) -> None:
        """Presentation mode (:mod:`loopviz.ui.presentation`): the chosen panels only, big
        and high-contrast."""
        self.presentation = on
        if self.commands.presentation.isChecked() != on:
            self.commands.presentation.setChecked(on)
            return  # the toggled signal calls back in
        self.presentation_mode.set_on(on)
        self.settings.set_presentation(on)

    def give_timeline_room(self, share: float) -> None:
        """Bigger lanes need more of the height: the timeline gets ``share`` of the centre
        column and bottom docks (replay, queues) at most a fifth of the window."""
        center = self.splitters["center"]
        total = sum(center.sizes()) or sum(DEFAULT_SIZES["center"])
        center.setSizes([round(total * share), total - round(total * share)])
        docks = [d for d in self.findChildren(QDockWidget) if d.isVisible()
                 and self.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea]
        if docks:
            self.resizeDocks(docks, [self.height() // 5] * len(docks), Qt.Orientation.Vertical)

    def _set_follow_live(self, on: bool) -> None:
        self.timeline.set_follow_live(on)

    def show_status(self, message: str | None) -> None:
        if message:
            self.statusBar().showMessage(message)

    # ---- screenshots -----------------------------------------------------------------------
    def save_screenshot(self, path: str) -> str:
        """The whole window as PNG, after pending repaints."""
        return files.save_window_png(self, path)

    # ---- Qt overrides ------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        if event.type() != QEvent.Type.UpdateRequest or not self.bridge.live:
            return super().event(event)
        start = time.monotonic_ns()  # the whole window's paint pass: loopviz's own work
        handled = super().event(event)
        self.bridge.record_own(start, time.monotonic_ns())
        return handled

    def closeEvent(self, event: Any) -> None:
        self.save_layout()
        self.attacher.detach()
        self.runs.shutdown()
        self.bridge.detach()
        super().closeEvent(event)
