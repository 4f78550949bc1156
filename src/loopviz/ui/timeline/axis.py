"""LaneAxis: the left axis of the timeline, one label per visible lane.

A pyqtgraph ``AxisItem`` draws right-aligned tick strings; lane labels need the opposite
(left-aligned, indented by depth, a ▸/▾ toggle for parents), so ``paint`` is replaced and the
row positions come from the linked view box, exactly where ``TimelineItem`` draws the lanes.
Clicks and the wheel are handed to callbacks the view sets (collapse, select, scroll).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent, MouseDragEvent
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPicture
from PySide6.QtWidgets import QGraphicsSceneWheelEvent

from loopviz.ui.palette import LIGHT, Palette
from loopviz.ui.timeline.lanes import Lane
from loopviz.ui.timeline.layout import TimelineModel

INDENT_PX = 14  # per depth level, before presentation scaling


class LaneAxis(pg.AxisItem):
    """Lane labels: task names indented by depth, thread lanes in bold ("UI thread",
    "worker-1"). ``on_toggle(task_id)``, ``on_select(lane)`` and ``on_scroll(rows)`` are
    called on a click on a parent's ▸/▾, a click elsewhere on a label, and the wheel."""

    def __init__(self, model: TimelineModel) -> None:
        super().__init__("left")
        self.model = model
        self.palette: Palette = LIGHT
        self.scale = 1.0
        self.label_font = QFont()
        self.selected_key: int | None = None
        self.on_toggle: Callable[[int], None] = lambda task_id: None
        self.on_select: Callable[[Lane], None] = lambda lane: None
        self.on_scroll: Callable[[int], None] = lambda rows: None
        self._cached: QPicture | None = None
        self._cached_state: tuple | None = None
        self._fitted_for: tuple | None = None
        self.setWidth(160)

    def set_look(self, palette: Palette, scale: float, point_size: float) -> None:
        self.palette = palette
        self.scale = scale
        self.label_font = QFont()
        self.label_font.setPointSizeF(point_size)
        self.fit_width()
        self.update()

    def fit_width(self) -> None:
        """Wide enough for the longest label (within reason: very long names are elided)."""
        state = (self.model.rows_version, self.scale, self.label_font.pointSizeF())
        if state == self._fitted_for:
            return
        self._fitted_for = state
        fm = QFontMetricsF(self.label_font)
        # measure only the likely widest labels: thousands of lanes would cost a frame
        longest = heapq.nlargest(24, self.model.rows, key=lambda ln: len(ln.label) + 2 * ln.depth)
        widest = max((fm.horizontalAdvance("▾ " + lane.label) + lane.depth * INDENT_PX * self.scale
                      for lane in longest), default=80.0)
        self.setWidth(int(min(max(widest + 16 * self.scale, 90), 320 * self.scale)))

    def _row_y(self, row: float) -> float:
        vb = self.linkedView()
        return self.mapFromScene(vb.mapViewToScene(QPointF(0, row))).y()

    def row_at(self, y: float) -> int:
        """The row under a y position in this item's coordinates (-1 outside every lane)."""
        vb = self.linkedView()
        if vb is None:
            return -1
        row = math.floor(vb.mapSceneToView(self.mapToScene(QPointF(0, y))).y())
        return row if 0 <= row < len(self.model.rows) else -1

    def paint(self, p: QPainter, *args: object) -> None:
        """Replays a cached picture unless what it shows changed (x zoom and pan repaint the
        whole view, but never change the labels)."""
        vb = self.linkedView()
        if vb is None:
            return
        rect = self.boundingRect()
        state = (tuple(vb.viewRange()[1]), rect, self.model.rows_version,
                 self.selected_key, self.palette, self.scale, self.label_font.pointSizeF())
        if state != self._cached_state or self._cached is None:
            picture = QPicture()
            pp = QPainter(picture)
            self._paint_labels(pp, rect, vb)
            pp.end()
            self._cached, self._cached_state = picture, state
        self._cached.play(p)

    def _paint_labels(self, p: QPainter, rect: QRectF, vb: pg.ViewBox) -> None:
        (_, _), (ymin, ymax) = vb.viewRange()
        first = max(0, math.floor(ymin))
        last = min(len(self.model.rows) - 1, math.ceil(ymax))
        pal = self.palette
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        fm = QFontMetricsF(self.label_font)
        bold = QFont(self.label_font)
        bold.setBold(True)
        italic = QFont(self.label_font)
        italic.setItalic(True)
        fonts = {"thread": bold, "queue": italic, "group": italic}
        for r in range(first, last + 1):
            lane = self.model.rows[r]
            y0, y1 = self._row_y(r), self._row_y(r + 1)
            band = QRectF(rect.left(), min(y0, y1), rect.width(), abs(y1 - y0))
            if not band.intersects(rect):
                continue
            if lane.key == self.selected_key:
                p.fillRect(band, QColor(pal.selection))
                p.fillRect(QRectF(band.left(), band.top(), 4 * self.scale, band.height()),
                           QColor(pal.foreground))
            elif r % 2:
                p.fillRect(band, QColor(pal.stripe))
            x = rect.left() + 6 * self.scale + lane.depth * INDENT_PX * self.scale
            text = lane.label
            if lane.has_children:
                text = ("▸ " if lane.ident in self.model.collapsed else "▾ ") + text
            p.setFont(fonts.get(lane.kind, self.label_font))
            p.setPen(QColor(pal.foreground))
            room = rect.right() - x - 4
            shown = fm.elidedText(text, Qt.TextElideMode.ElideRight, room)
            p.drawText(QRectF(x, band.top(), room, band.height()),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, shown)
        p.setPen(QColor(pal.muted))
        p.drawLine(rect.topRight(), rect.bottomRight())

    def mouseClickEvent(self, ev: MouseClickEvent) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        pos = ev.pos()
        row = self.row_at(pos.y())
        if row < 0:
            return
        ev.accept()
        lane = self.model.rows[row]
        toggle_end = self.boundingRect().left() + (6 + 16 + lane.depth * INDENT_PX) * self.scale
        if lane.has_children and (pos.x() <= toggle_end or lane.kind == "group"):
            self.on_toggle(lane.ident)
        else:
            self.on_select(lane)

    def mouseDragEvent(self, ev: MouseDragEvent) -> None:
        ev.ignore()  # lanes are fixed: no y drag through the axis

    def wheelEvent(self, ev: QGraphicsSceneWheelEvent) -> None:
        steps = ev.delta() / 120 if hasattr(ev, "delta") else 0
        self.on_scroll(-round(steps * 3))
        ev.accept()
