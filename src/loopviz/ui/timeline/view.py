"""TimelineView: the timeline widget the main window embeds.

Public API (everything else is private):

- ``set_trace(trace | None)``: show a trace; a newer trace of the same run is appended cheaply.
- ``set_live(on)``: a run is in progress: the "now" line shows and follow-live keeps the newest
  time in view; when it ends (still following) the view zooms to fit the run. A user pan/zoom
  turns following off (``followLiveChanged(False)``); ``set_follow_live(True)`` (or the
  widget's own toggle) turns it back on. ``zoom_to_fit()``: the whole trace.
- ``set_presentation(on)``: bigger fonts, taller lanes, thicker strokes and the high-contrast
  palette for a projector.
- ``zoom_to_task(task_id)``, ``select_task(task_id | None)``, ``set_cursor_time(s | None)``.
- ``export_png(path)``, ``export_svg(path)``: the plot, through pyqtgraph's exporters.
- Signals: ``taskSelected(int)`` (-1: none), ``timeClicked(float)`` (seconds),
  ``cursorMoved(float)`` (the cursor dragged), ``followLiveChanged(bool)``.
- ``view_box``: the pyqtgraph ViewBox, for charts that share the time axis.
- ``model`` (the :class:`TimelineModel`) and ``hit_at(x, row)`` are read by tests.

Light and dark follow the widget's QPalette (a system theme switch re-colours it).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter, SVGExporter
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent
from PySide6.QtCore import QEvent, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QScrollBar,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from loopviz.trace import Trace
from loopviz.trace.ring import kept_from
from loopviz.ui.palette import Palette, palette_for
from loopviz.ui.timeline.axis import LaneAxis
from loopviz.ui.timeline.describe import describe
from loopviz.ui.timeline.item import TimelineItem
from loopviz.ui.timeline.lanes import Hit, Lane
from loopviz.ui.timeline.layout import OUTCOME_CODES, TimelineModel
from loopviz.ui.timeline.legend import TimelineLegend

PRESENTATION_SCALE = 1.6
LANE_PX = 28.0  # lane height at scale 1
BASE_POINTS = 10.0
HOVER_PX = 3.0  # hover/click tolerance around a thin segment


class TimelineView(QWidget):
    """Lanes per thread and task, segments coloured by state; see the module docstring."""

    taskSelected = Signal(int)
    timeClicked = Signal(float)
    cursorMoved = Signal(float)
    followLiveChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = TimelineModel()
        self.scale = 1.0
        self.live = False
        self.follow = True
        self.hover_text = ""
        self.selected_task: int | None = None
        self._top_row = 0
        self._fitted = False
        self._pal: Palette = palette_for(self.palette())

        self.axis = LaneAxis(self.model)
        self.axis.on_toggle = self.toggle_collapsed
        self.axis.on_select = self._lane_clicked
        self.axis.on_scroll = self._scroll_by
        self.plot = pg.PlotWidget(axisItems={"left": self.axis})
        plot_item = self.plot.getPlotItem()
        plot_item.hideButtons()
        plot_item.setMenuEnabled(False)
        self.view_box: pg.ViewBox = plot_item.getViewBox()
        self.view_box.invertY(True)
        self.view_box.setMouseEnabled(x=True, y=False)
        self.view_box.disableAutoRange()
        self.view_box.setLimits(minXRange=1e-6)
        self.view_box.setDefaultPadding(0.0)
        self.item = TimelineItem(self.model)
        self.view_box.addItem(self.item)
        self.now_line = pg.InfiniteLine(angle=90, movable=False)
        self.cursor_line = pg.InfiniteLine(angle=90, movable=True)
        for line in (self.now_line, self.cursor_line):
            line.setZValue(10)
            line.hide()
            self.view_box.addItem(line, ignoreBounds=True)
        self.cursor_line.sigDragged.connect(lambda ln: self.cursorMoved.emit(float(ln.value())))
        self.bottom = plot_item.getAxis("bottom")
        self.bottom.setLabel("time", units="s")

        self.scrollbar = QScrollBar(Qt.Orientation.Vertical)
        self.scrollbar.valueChanged.connect(self._set_top_row)
        self.follow_button = QToolButton()
        self.follow_button.setText("Follow live")
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setToolTip("Keep the newest time in view while a run is live")
        self.follow_button.toggled.connect(self.set_follow_live)
        self.status = QLabel("")
        self.legend = TimelineLegend()

        top = QHBoxLayout()
        top.setContentsMargins(4, 2, 4, 0)
        top.addWidget(self.status, 1)
        top.addWidget(self.follow_button)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.plot, 1)
        body.addWidget(self.scrollbar)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        outer.addLayout(top)
        outer.addLayout(body, 1)
        outer.addWidget(self.legend)

        self.view_box.sigResized.connect(self._apply_rows)
        self.view_box.sigRangeChangedManually.connect(self._user_moved)
        scene = self.plot.scene()
        scene.sigMouseMoved.connect(self._mouse_moved)
        scene.sigMouseClicked.connect(self._mouse_clicked)
        self._apply_look()

    # ---- data ------------------------------------------------------------------------------
    def set_trace(self, trace: Trace | None) -> None:
        """Show ``trace`` (None: clear). A newer trace of the same run appends."""
        appended = self.model.update(trace)
        if not appended:
            self._fitted = False
            self.selected_task = None
            self.item.selected_key = self.axis.selected_key = None
        self._after_model_change()
        if trace is None:
            return
        if self.live and self.follow:
            self._follow_now()
        elif not self._fitted:
            self.zoom_to_fit()
        self._fitted = True
        self.now_line.setValue(self.model.now)

    def _after_model_change(self) -> None:
        self.item.refresh()
        self.axis.fit_width()
        self._apply_rows()
        self.axis.update()
        m = self.model
        present = None
        if m.trace is not None:
            present = set(m.present) | {f"outcome:{OUTCOME_CODES[int(c)]}"
                                        for c in np.unique(m.markers[:, 2])}
            if len(m.arrows):
                present.add("arrow")
            if len(m.alerts):
                present.add("alert")
        self.legend.set_present(present)
        n = self.model.segment_count
        self.status.setText(f"{len(self.model.rows)} lanes · {n:,} segments" if n else "")

    def zoom_to_fit(self) -> None:
        """Show the whole run, from its first task or step to its end (a 20 ms run fills the
        width as a 20 s one does; a program that spent its first 0.5 s importing does not
        open on 0.5 s of nothing; a program watched from outside, whose ring buffer dropped
        what came before, opens where its records begin, even if a task is older)."""
        end = max(self.model.now, 1e-6)
        trace = self.model.trace
        first = 0.0
        if trace is not None:
            starts = [records[0].start_ns for records in (trace.steps, trace.blocks)
                      if len(records)]
            starts += [next((c.start_ns for c in trace.callbacks  # loopviz's are not the run
                             if not c.label.startswith("loopviz")), int(end * 1e9))]
            if len(trace.tasks):
                starts.append(trace.tasks[0].created_ns)
            first = min(starts, default=0) / 1e9
            first = first if first > 0.1 * end else 0.0  # near 0: keep 0 in view
            first = max(first, min(kept_from(trace), 0.99 * end))
        span = end - first
        # a little room before the start keeps the first steps and arrows off the axis line
        self.view_box.setXRange(first - 0.01 * span, end + 0.04 * span, padding=0)

    def set_live(self, on: bool) -> None:
        """A run is (or is no longer) in progress. When it ends while following, the view
        zooms to fit the whole run (a view the user panned or zoomed stays where it is)."""
        was_live, self.live = self.live, on
        self.model.defer_lanes = on
        if not on and self.model.lanes_stale:
            self.model.reorder_lanes()
            self._after_model_change()
        self.now_line.setVisible(on)
        if on and self.follow:
            self._follow_now()
        elif was_live and not on and self.follow and self.model.trace is not None:
            self.zoom_to_fit()

    def set_follow_live(self, on: bool) -> None:
        if on == self.follow:
            return
        self.follow = on
        self.follow_button.setChecked(on)
        if on and self.live:
            self._follow_now()
        self.followLiveChanged.emit(on)

    def _follow_now(self) -> None:
        """Keep "now" in view, moving the range in steps rather than every frame: a range that
        moves repaints the axes, the grid and the chart linked to it (several ms a frame on a
        software-rendered display), new segments on a still range only the lanes. The range
        grows by half as the run reaches its end (up to 2 minutes), then pages on by half a
        span at a time."""
        now = max(self.model.now, 1e-3)
        (xmin, xmax), _ = self.view_box.viewRange()
        span = xmax - xmin
        if xmin <= 0.0 and now * 1.1 <= 120.0:
            if now > 0.95 * xmax or xmax > max(1.0, 3.0 * now):
                self.view_box.setXRange(0.0, max(now * 1.5, 1.0), padding=0)  # grow with it
        elif now > xmax - 0.02 * span or now < xmin:
            self.view_box.setXRange(now - 0.5 * span, now + 0.5 * span, padding=0)

    def _user_moved(self, *args: object) -> None:
        if self.live and self.follow:
            self.set_follow_live(False)

    # ---- rows ------------------------------------------------------------------------------
    def _lane_px(self) -> float:
        """Lane height: LANE_PX (scaled), stretched up to 1.5x when the lanes leave room."""
        base = LANE_PX * self.scale
        n = max(len(self.model.rows), 1)
        return min(max(self.view_box.height() / n, base), 1.5 * base)

    def _apply_rows(self, *args: object) -> None:
        """Fixed lane height: the y range shows as many rows as fit; the scrollbar does the rest."""
        height = max(self.view_box.height(), 1.0)
        fit = height / self._lane_px()
        n = len(self.model.rows)
        overflow = max(0, math.ceil(n - fit))
        self.scrollbar.blockSignals(True)
        self.scrollbar.setRange(0, overflow)
        self.scrollbar.setPageStep(max(1, int(fit)))
        self._top_row = min(self._top_row, overflow)
        self.scrollbar.setValue(self._top_row)
        self.scrollbar.blockSignals(False)
        self.scrollbar.setVisible(overflow > 0)
        self.view_box.setYRange(self._top_row, self._top_row + fit, padding=0)

    def _set_top_row(self, row: int) -> None:
        self._top_row = row
        self._apply_rows()

    def _scroll_by(self, rows: int) -> None:
        self.scrollbar.setValue(self.scrollbar.value() + rows)

    def toggle_collapsed(self, task_id: int) -> None:
        """Collapse (or expand) a parent task: its descendants' lanes hide."""
        self.model.toggle_collapsed(task_id)
        self._after_model_change()

    def set_collapsed(self, task_ids: set[int]) -> None:
        self.model.set_collapsed(task_ids)
        self._after_model_change()

    # ---- selection and navigation -----------------------------------------------------------
    def hit_at(self, x: float, row: int) -> Hit | None:
        """What a click or hover at (``x`` seconds, ``row``) lands on."""
        (xmin, xmax), _ = self.view_box.viewRange()
        width = max(self.view_box.width(), 1.0)
        return self.model.hit(row, x, HOVER_PX * (xmax - xmin) / width)

    def click_at(self, x: float, row: int) -> None:
        """Act as a click there: select the task (a step on a thread lane selects its task)."""
        hit = self.hit_at(x, row)
        self.timeClicked.emit(float(x))
        if hit is None:
            self.select_task(None)
            return
        if hit.lane.kind == "task":
            self.select_task(hit.lane.ident)
        elif hit.state == "running" and self.model.trace is not None:
            self.select_task(self.model.trace.steps[hit.ref].task)
        else:
            self.select_task(None)

    def select_task(self, task_id: int | None) -> None:
        """Highlight a task's lane (None: no selection) and emit ``taskSelected``."""
        self.selected_task = task_id
        key = None if task_id is None else self.model.key_of("task", task_id)
        self.item.selected_key = self.axis.selected_key = key
        self.item.update()
        self.axis.update()
        self.taskSelected.emit(-1 if task_id is None else task_id)

    def _lane_clicked(self, lane: Lane) -> None:
        self.select_task(lane.ident if lane.kind == "task" else None)

    def zoom_to_task(self, task_id: int) -> None:
        """Fit the x range to a task's life, scroll its lane into view and select it."""
        trace = self.model.trace
        if trace is None:
            return
        collapsed = set(self.model.collapsed)
        self.model.reveal(task_id)  # collapsed ancestors and library groups open
        if self.model.collapsed != collapsed:
            self._after_model_change()
        start, end = self.model.task_span(task_id)
        pad = max((end - start) * 0.05, 1e-4)
        self.set_follow_live(False)
        self.view_box.setXRange(start - pad, end + pad, padding=0)
        row = self.model.row_of("task", task_id)
        fit = int(max(self.view_box.height(), 1.0) / self._lane_px())
        if row >= 0 and not self._top_row <= row < self._top_row + fit:
            self.scrollbar.setValue(max(0, row - fit // 2))
        self.select_task(task_id)

    def set_cursor_time(self, seconds: float | None) -> None:
        """Show the time cursor at ``seconds`` (None hides it)."""
        if seconds is None:
            self.cursor_line.hide()
            return
        self.cursor_line.setValue(seconds)
        self.cursor_line.show()

    # ---- mouse -----------------------------------------------------------------------------
    def _view_point(self, scene_pos: QPointF) -> tuple[float, int] | None:
        if not self.view_box.sceneBoundingRect().contains(scene_pos):
            return None
        pt = self.view_box.mapSceneToView(scene_pos)
        return pt.x(), math.floor(pt.y())

    def _mouse_moved(self, scene_pos: QPointF) -> None:
        where = self._view_point(scene_pos)
        hit = self.hit_at(*where) if where is not None else None
        trace = self.model.trace
        self.hover_text = describe(trace, hit) if hit is not None and trace is not None else ""
        if self.hover_text:
            global_pos = self.plot.mapToGlobal(self.plot.mapFromScene(scene_pos))
            QToolTip.showText(global_pos, self.hover_text, self.plot)
        else:
            QToolTip.hideText()

    def _mouse_clicked(self, ev: MouseClickEvent) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or ev.double():
            return
        where = self._view_point(ev.scenePos())
        if where is not None:
            self.click_at(*where)

    # ---- look ------------------------------------------------------------------------------
    def set_presentation(self, on: bool) -> None:
        """Projector mode: fonts, lanes and strokes scaled by ``PRESENTATION_SCALE``."""
        self.scale = PRESENTATION_SCALE if on else 1.0
        self._apply_look()
        self._apply_rows()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_look()
        super().changeEvent(event)

    def _apply_look(self) -> None:
        pal = self._pal = palette_for(self.palette(), contrast=self.scale > 1.0)
        points = BASE_POINTS * self.scale
        self.plot.setBackground(pal.background)
        tick_font = QFont()
        tick_font.setPointSizeF(points)
        fg = QColor(pal.foreground)
        self.bottom.setPen(QPen(QColor(pal.muted)))
        self.bottom.setTextPen(fg)
        self.bottom.setTickFont(tick_font)
        self.bottom.label.setFont(tick_font)
        self.bottom.setHeight(int(34 * self.scale + 8))
        self.bottom.setLabel("time", units="s", color=pal.foreground)
        self.axis.set_look(pal, self.scale, points)
        self.item.set_palette(pal)
        self.item.set_scale(self.scale)
        self.legend.set_look(pal, self.scale, points * 0.95)
        self.now_line.setPen(pg.mkPen(pal.now, width=2 * self.scale))
        self.cursor_line.setPen(pg.mkPen(pal.cursor, width=1.5 * self.scale,
                                         style=Qt.PenStyle.DashLine))
        self.cursor_line.setHoverPen(pg.mkPen(pal.cursor, width=3 * self.scale))

    # ---- export ----------------------------------------------------------------------------
    def export_png(self, path: str) -> None:
        """The plot (lanes, labels, time axis) as PNG at its on-screen size."""
        ImageExporter(self.plot.getPlotItem()).export(str(path))

    def export_svg(self, path: str) -> None:
        """The plot as SVG (segments stay vector rectangles)."""
        try:
            SVGExporter(self.plot.getPlotItem()).export(str(path))
        except ValueError:
            # pyqtgraph 0.14's coordinate rewriting chokes on the "Z" Qt writes to close the
            # view box's path (pyqtgraph issue #3485): render the same scene through QtSvg.
            generator = QSvgGenerator()
            generator.setFileName(str(path))
            generator.setSize(self.plot.size())
            generator.setViewBox(self.plot.rect())
            generator.setResolution(self.plot.logicalDpiX())
            generator.setTitle("loopviz timeline")
            painter = QPainter(generator)
            try:
                self.plot.render(painter)
            finally:
                painter.end()
