"""Responsiveness: how the UI thread and the loop felt, on the timeline's time axis.

``ResponsivenessChart`` plots the UI heartbeat interval and the loop lag (ms, from
``trace.ui_heartbeat`` / ``trace.loop_lag``) against time in seconds, with every freeze
(``trace.blocks``) shaded red and loopviz's own stretches on the thread (10 ms or more) shaded
grey, as on the timeline's UI lane: a spike there is the tool's, not the program's. The y range
starts at 0 and leaves the legend its own room above the highest value; ``link_x`` gives it
the timeline's x range (one axis, one unit) and ``align_to`` puts its data area under the
timeline's, so both zoom and pan together.
``PulseIndicator`` is the most direct picture of a blocked UI thread: a dot bouncing from a
UI-thread timer, which stops dead while the thread is stuck.

What to plot is :func:`responsiveness_series`, a pure function of the trace (tests call it).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QWidget

from loopviz.trace import Trace
from loopviz.trace.observer import own_stretches
from loopviz.ui.theme import LIGHT, Theme, scaled


@dataclass(frozen=True)
class Series:
    """Columns for the chart: times in s, values in ms; freezes as (start s, end s)."""

    heartbeat_t: np.ndarray
    heartbeat_ms: np.ndarray
    lag_t: np.ndarray
    lag_ms: np.ndarray
    freezes: tuple[tuple[float, float], ...]
    own: tuple[tuple[float, float], ...] = ()  # loopviz's own work on the UI thread

    def top_ms(self) -> float:
        return float(max(self.heartbeat_ms.max(initial=0.0), self.lag_ms.max(initial=0.0)))


OWN_SHOWN_NS = 10_000_000  # shorter stretches of loopviz's work would be hairlines


def responsiveness_series(trace: Trace) -> Series:
    hb = np.asarray(trace.ui_heartbeat, dtype=np.float64).reshape(-1, 2)
    lag = np.asarray(trace.loop_lag, dtype=np.float64).reshape(-1, 2)
    return Series(hb[:, 0] / 1e9, hb[:, 1] / 1e6, lag[:, 0] / 1e9, lag[:, 1] / 1e6,
                  tuple((b.start_ns / 1e9, b.end_ns / 1e9) for b in trace.blocks),
                  tuple((a / 1e9, b / 1e9) for a, b in own_stretches(trace, OWN_SHOWN_NS)))


def plateaus(t_s: np.ndarray, value_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each sample (t, v) stands for the span [t - v, t] at height v: a heartbeat that came
    1000 ms after the last one was missing for that whole second, so it is drawn flat across
    it (a line from sample to sample would show a ramp that never happened)."""
    x = np.empty(2 * len(t_s))
    y = np.empty(2 * len(t_s))
    x[0::2] = np.maximum.accumulate(np.maximum(t_s - value_ms / 1e3, 0.0))
    x[1::2] = t_s
    y[0::2] = y[1::2] = value_ms
    return x, y


class ResponsivenessChart(pg.PlotWidget):
    """Invariant: the curves and shaded regions show the last trace given to ``set_trace``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme: Theme = LIGHT
        self.presentation = False
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        # pyqtgraph's own grid (showGrid) costs ~5 ms per axis per repaint here: one batch
        # of opaque lines drawn in device pixels costs ~0.3 ms, and this chart repaints live.
        self.grid = ChartGrid(item)
        item.getViewBox().addItem(self.grid, ignoreBounds=True)
        item.setLabel("left", "ms")
        item.setLabel("bottom", "time", units="s")  # the timeline's unit and SI prefix
        self._leader: pg.ViewBox | None = None
        self.legend = item.addLegend(offset=(8, 4), colCount=2)
        self.heartbeat_curve = item.plot([], [], name="UI heartbeat interval", stepMode=None)
        self.lag_curve = item.plot([], [], name="loop lag")
        self._regions: list[pg.LinearRegionItem] = []
        self._own_regions: list[pg.LinearRegionItem] = []
        self._seen: tuple[int, ...] = (-1,)
        self.series: Series | None = None
        self.getViewBox().setMouseEnabled(x=True, y=False)
        self.getViewBox().disableAutoRange(axis="y")  # _fit_y: from 0, the legend above
        self.getViewBox().sigResized.connect(self._fit_y)
        self.apply_style()

    def link_x(self, view_box: pg.ViewBox | None) -> None:
        """Share the time axis with the timeline's view box: the same x range in seconds at
        all times (the timeline's range is the one; panning or zooming here moves it).

        Not pyqtgraph's ``setXLink``: that links by screen position, so two plots whose data
        areas differ by a scrollbar or a label's width get *different* ranges (the chart
        read -0.2 s where the timeline read 0); :meth:`align_to` lines the pixels up."""
        if view_box is None:
            return
        self._leader = view_box
        mine = self.getViewBox()
        mine.enableAutoRange(x=False)
        view_box.sigXRangeChanged.connect(self._follow_leader)
        mine.sigRangeChangedManually.connect(self._lead)
        for box in (view_box, mine):  # a splitter moved, a scrollbar came or went
            box.sigResized.connect(lambda *_: self.align_to(view_box))
        self._follow_leader(view_box, view_box.viewRange()[0])

    def _follow_leader(self, _vb: object, x_range: tuple[float, float]) -> None:
        mine = self.getViewBox()
        if tuple(mine.viewRange()[0]) != tuple(x_range):
            mine.setXRange(*x_range, padding=0)

    def _lead(self, *_args: object) -> None:
        if self._leader is not None:
            self._leader.setXRange(*self.getViewBox().viewRange()[0], padding=0)

    def align_to(self, view_box: pg.ViewBox) -> None:
        """Move this chart's data area's left and right edges onto ``view_box``'s on screen
        (lane labels and the timeline's scrollbar take room the chart does not have), so
        one instant is one vertical line through both."""
        theirs, mine = _screen_span(view_box), _screen_span(self.getViewBox())
        if theirs is None or mine is None:
            return
        axis = self.getPlotItem().getAxis("left")
        grow_left = theirs[0] - mine[0]
        if abs(grow_left) > 0.5:
            axis.setWidth(max(20, round(axis.width() + grow_left)))
        shrink_right = mine[1] - theirs[1]
        if abs(shrink_right) > 0.5:
            layout = self.getPlotItem().layout
            left, top, right, bottom = layout.getContentsMargins()
            layout.setContentsMargins(left, top, max(0.0, right + shrink_right), bottom)

    def apply_style(self) -> None:
        t = self.theme
        width = scaled(1.5, self.presentation)
        self.setBackground(t.chart_background)
        font = QFont()
        font.setPointSizeF(scaled(9, self.presentation))
        foreground = ("#ffffff" if t.dark else "#000000") if self.presentation else \
            t.chart_foreground  # presentation: full contrast for a projector
        for axis in ("left", "bottom"):
            ax = self.getPlotItem().getAxis(axis)
            ax.setPen(foreground)
            ax.setTextPen(foreground)
            ax.setTickFont(font)
            ax.label.setFont(font)
            ax.label.setDefaultTextColor(QColor(foreground))
        self.heartbeat_curve.setPen(pg.mkPen(t.heartbeat, width=width))
        self.lag_curve.setPen(pg.mkPen(t.lag, width=width, style=Qt.PenStyle.DashLine))
        self.legend.setLabelTextColor(t.chart_foreground)
        for _sample, label in self.legend.items:  # existing labels keep their old colour
            label.setText(label.text, color=t.chart_foreground,
                          size=f"{scaled(9, self.presentation):.0f}pt")
        self.grid.set_colour(_blend(foreground, t.chart_background,
                                    0.4 if self.presentation else 0.18))
        self.legend.setBrush(pg.mkBrush(t.chart_background + "d0"))
        self.legend.setPen(pg.mkPen(t.chart_foreground + "40"))
        for region in self._regions:
            region.setBrush(pg.mkBrush(t.freeze))
        for region in self._own_regions:
            region.setBrush(pg.mkBrush(t.own))
        self._fit_y()

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.apply_style()

    def set_presentation(self, on: bool) -> None:
        self.presentation = on
        self.apply_style()

    def set_trace(self, trace: Trace | None) -> None:
        if trace is None:
            self.heartbeat_curve.setData([], [])
            self.lag_curve.setData([], [])
            self._set_regions(self._regions, (), self.theme.freeze)
            self._set_regions(self._own_regions, (), self.theme.own)
            self._seen = (-1,)
            self.series = None
            return
        seen = (len(trace.ui_heartbeat), len(trace.loop_lag), len(trace.blocks),
                len(trace.callbacks),  # and a replay's freeze growing with its cursor:
                trace.blocks[-1].end_ns if trace.blocks else 0,
                trace.callbacks[-1].end_ns if trace.callbacks else 0)
        if seen == self._seen:
            return  # nothing new to draw: the cheap path of a live run between samples
        self._seen = seen
        self.series = s = responsiveness_series(trace)
        self.heartbeat_curve.setData(*plateaus(s.heartbeat_t, s.heartbeat_ms))
        self.lag_curve.setData(*plateaus(s.lag_t, s.lag_ms))
        self._set_regions(self._regions, s.freezes, self.theme.freeze)
        self._set_regions(self._own_regions, s.own, self.theme.own)
        self._fit_y()

    def _fit_y(self, *_args: object) -> None:
        """0 to the highest value, with the legend's height (top left, over the data area)
        added above it so no curve runs under the legend."""
        vb = self.getViewBox()
        top = max(self.series.top_ms() if self.series is not None else 0.0, 1.0)
        room = self.legend.boundingRect().height() + 18
        above = min(0.5, room / vb.height()) if vb.height() > 0 else 0.25
        span = top / (1.0 - above)
        vb.setYRange(-0.04 * span, span, padding=0)

    def _set_regions(self, regions: list[pg.LinearRegionItem],
                     spans: tuple[tuple[float, float], ...], colour: str) -> None:
        while len(regions) > len(spans):
            self.removeItem(regions.pop())
        while len(regions) < len(spans):
            region = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(colour),
                                         pen=pg.mkPen(None))
            region.setZValue(-10)
            self.addItem(region)
            regions.append(region)
        for region, (start, end) in zip(regions, spans, strict=True):
            region.setRegion((start, end))

    def freeze_regions(self) -> list[tuple[float, float]]:
        return [tuple(r.getRegion()) for r in self._regions]

    def own_regions(self) -> list[tuple[float, float]]:
        return [tuple(r.getRegion()) for r in self._own_regions]


def _blend(fg: str, bg: str, amount: float) -> QColor:
    """``fg`` laid over ``bg`` at ``amount`` opacity, as an opaque colour (no alpha blending
    per pixel at paint time)."""
    a, b = QColor(fg), QColor(bg)
    mix = [round(x * amount + y * (1 - amount)) for x, y in
           zip((a.red(), a.green(), a.blue()), (b.red(), b.green(), b.blue()), strict=True)]
    return QColor(*mix)


class ChartGrid(pg.GraphicsObject):
    """Grid lines at the axes' major ticks, drawn under the curves in one batch of opaque
    device-pixel lines."""

    def __init__(self, plot_item: pg.PlotItem) -> None:
        super().__init__()
        self.plot_item = plot_item
        self.pen = QPen(QColor("#dddddd"), 1)
        self.setZValue(-100)
        plot_item.getViewBox().sigRangeChanged.connect(self._moved)

    def _moved(self, *args: object) -> None:
        self.prepareGeometryChange()  # the bounds are the view: they moved with it

    def set_colour(self, colour: QColor) -> None:
        self.pen = QPen(colour, 1)
        self.update()

    def boundingRect(self) -> QRectF:
        return self.plot_item.getViewBox().viewRect()

    def paint(self, p: QPainter, *args: object) -> None:
        vb = self.plot_item.getViewBox()
        r = vb.viewRect()
        t = p.transform()
        lines = []
        x0, x1 = r.left() * t.m11() + t.dx(), r.right() * t.m11() + t.dx()
        y0, y1 = r.top() * t.m22() + t.dy(), r.bottom() * t.m22() + t.dy()
        for name, lo, hi, size in (("left", r.top(), r.bottom(), vb.height()),
                                   ("bottom", r.left(), r.right(), vb.width())):
            levels = self.plot_item.getAxis(name).tickValues(min(lo, hi), max(lo, hi), size)
            for value in (levels[0][1] if levels else ()):
                if name == "left":
                    y = value * t.m22() + t.dy()
                    lines.append(QLineF(x0, y, x1, y))
                else:
                    x = value * t.m11() + t.dx()
                    lines.append(QLineF(x, y0, x, y1))
        p.save()
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setPen(self.pen)
        p.drawLines(lines)
        p.restore()


def _screen_span(view_box: pg.ViewBox) -> tuple[float, float] | None:
    """The global x of a view box's left and right edges (None while it is not shown)."""
    scene = view_box.scene()
    views = scene.views() if scene is not None else []
    if not views:
        return None
    rect = view_box.sceneBoundingRect()
    left = views[0].mapToGlobal(views[0].mapFromScene(rect.topLeft())).x()
    right = views[0].mapToGlobal(views[0].mapFromScene(rect.topRight())).x()
    return float(left), float(right)


class PulseIndicator(QWidget):
    """A dot bouncing left and right, moved by a UI-thread QTimer: it only moves while the UI
    thread is free. ``stalled_for()`` says how long since it last moved (tests, status)."""

    PERIOD_S = 1.2

    def __init__(self, parent: QWidget | None = None, interval_ms: int = 33) -> None:
        super().__init__(parent)
        self.setToolTip("Moves while the UI thread is free; stops when something blocks it.")
        self._phase = 0.0
        self._last_tick = time.monotonic()
        self.color = QColor("#0072b2")
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self.setMinimumSize(self.sizeHint())
        # Opaque: a tick repaints this small widget only, not the toolbar and window beneath.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def sizeHint(self) -> QSize:
        h = max(16, self.fontMetrics().height())
        return QSize(h * 4, h)

    def stalled_for(self) -> float:
        return time.monotonic() - self._last_tick

    def phase(self) -> float:
        return self._phase

    def _tick(self) -> None:
        now = time.monotonic()
        self._phase = (self._phase + (now - self._last_tick) / self.PERIOD_S) % 1.0
        self._last_tick = now
        self.update()

    def paintEvent(self, event: object) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = self.rect()
        painter.fillRect(r, self.palette().window())
        d = r.height() * 0.7
        track = QPen(self.palette().mid().color(), max(1.0, d / 8))
        painter.setPen(track)
        y = r.center().y()
        painter.drawLine(int(d / 2), y, int(r.width() - d / 2), y)
        x = (r.width() - d) * (0.5 - 0.5 * math.cos(2 * math.pi * self._phase))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.color)
        painter.drawEllipse(QRectF(x, (r.height() - d) / 2, d, d))
        painter.end()
