"""The timeline's legend: every state colour with the same fill and hatch the lanes use.

Painted, not built from labels, so each swatch is drawn with the very brushes of the timeline
(fill, then pattern) and the entries wrap to the width they are given.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from loopviz.ui.palette import LIGHT, OUTCOME_GLYPHS, Palette, fill_brush, hatch_brush
from loopviz.ui.timeline.alert import paint_alert

# (what, label): a state key, an outcome, the await arrow, or the diagnostic mark.
ENTRIES: tuple[tuple[str, str], ...] = (
    ("running", "running"), ("ready", "ready (woken, waiting for the loop)"),
    ("late", "late (timer due, the loop busy)"),
    ("wait:sleep", "sleep"), ("wait:task", "awaiting task"), ("wait:future", "future"),
    ("wait:executor", "executor"), ("wait:queue", "queue"), ("wait:lock", "lock"),
    ("wait:semaphore", "semaphore"), ("wait:event", "event"), ("wait:socket", "socket"),
    ("wait:stream", "stream"), ("wait:pipe", "pipe"), ("wait:subprocess", "subprocess"),
    ("wait:other", "other wait"),
    ("blocked", "blocked"), ("job", "executor job"), ("queued", "queued for a worker"),
    ("callback", "callback"), ("alert", "diagnostic"),
    ("loopviz", "loopviz's own work"), ("outcome:result", "result"),
    ("outcome:exception", "exception"), ("outcome:cancelled", "cancelled"),
    ("arrow", "awaits"),
)
ALWAYS = frozenset({"running", "ready", "blocked"})  # the core vocabulary, even when absent


class TimelineLegend(QWidget):
    """A wrapping row of swatches. ``set_look`` follows the timeline's palette and scale;
    ``set_present`` narrows it to what the trace shows (plus running, ready and blocked), so
    it stays one or two lines even in presentation mode."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.palette_: Palette = LIGHT
        self.scale = 1.0
        self.legend_font = QFont()
        self.present: set[str] | None = None  # None: every entry
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def set_look(self, palette: Palette, scale: float, point_size: float) -> None:
        self.palette_ = palette
        self.scale = scale
        self.legend_font = QFont()
        self.legend_font.setPointSizeF(point_size)
        self.updateGeometry()
        self._fit()
        self.update()

    def set_present(self, present: set[str] | None) -> None:
        """Entries to show: state keys, ``outcome:<name>`` and ``arrow`` (None: all)."""
        if present is not None:
            present = present | ALWAYS
        if present != self.present:
            self.present = present
            self._fit()
            self.update()

    def entries(self) -> list[tuple[str, str]]:
        """What the legend shows: the states present (all, before a trace; in presentation
        mode, whose big type would make the whole vocabulary fill the lanes' room, the core
        ones only)."""
        present = ALWAYS if self.present is None and self.scale > 1 else self.present
        return [(w, label) for w, label in ENTRIES if present is None or w in present]

    def _layout(self, width: float) -> tuple[list[tuple[QRectF, str, str]], float]:
        """Where each entry goes for a given width, and the height that needs."""
        fm = QFontMetricsF(self.legend_font)
        line_h = fm.height() + 8 * self.scale
        sw = 2.2 * fm.height()
        x = y = 4.0
        out = []
        for what, label in self.entries():
            w = sw + 6 * self.scale + fm.horizontalAdvance(label) + 16 * self.scale
            if x + w > width and x > 4:
                x, y = 4.0, y + line_h
            out.append((QRectF(x, y, w, line_h), what, label))
            x += w
        return out, y + line_h + 2

    def _fit(self) -> None:
        _, h = self._layout(max(self.width(), 200))
        if int(h) != self.height():
            self.setFixedHeight(int(h))

    def sizeHint(self) -> QSize:
        _, h = self._layout(max(self.width(), 900))
        return QSize(900, int(h))

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._fit()
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        pal = self.palette_
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(pal.background))
        p.setFont(self.legend_font)
        fm = QFontMetricsF(self.legend_font)
        sw, sh = 2.2 * fm.height(), 0.75 * fm.height()
        for box, what, label in self._layout(self.width())[0]:
            sx = QRectF(box.left(), box.center().y() - sh / 2, sw, sh)
            if what.startswith("outcome:"):
                name = what.split(":", 1)[1]
                p.setPen(QColor(pal.outcomes[name]))
                bold = QFont(self.legend_font)
                bold.setBold(True)
                bold.setPointSizeF(self.legend_font.pointSizeF() * 1.4)
                p.setFont(bold)
                p.drawText(sx, Qt.AlignmentFlag.AlignCenter, OUTCOME_GLYPHS[name])
                p.setFont(self.legend_font)
            elif what == "arrow":
                self._arrow(p, sx)
            elif what == "alert":
                paint_alert(p, sx.center().x(), box.center().y() - 0.55 * fm.height(),
                            1.1 * fm.height(), self.scale)
            else:
                style = pal.style(what)
                p.setPen(Qt.PenStyle.NoPen)
                p.fillRect(sx, fill_brush(style))
                hatch = hatch_brush(style)
                if hatch is not None:
                    p.fillRect(sx, hatch)
                p.setPen(QPen(QColor(pal.muted), 1))
                p.drawRect(sx)
            p.setPen(QColor(pal.foreground))
            text = QRectF(sx.right() + 6 * self.scale, box.top(), box.width() - sw, box.height())
            p.drawText(text, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
        p.end()

    def _arrow(self, p: QPainter, r: QRectF) -> None:
        colour = QColor(self.palette_.arrow)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(colour, 1.4 * self.scale))
        mid = r.center().x()
        p.drawLine(QPointF(mid, r.top() - 2), QPointF(mid, r.bottom()))
        s = 4 * self.scale
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawPolygon(QPolygonF([QPointF(mid, r.bottom() + 2), QPointF(mid - s, r.bottom() - 5),
                                 QPointF(mid + s, r.bottom() - 5)]))
