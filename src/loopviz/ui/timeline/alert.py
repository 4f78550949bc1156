"""The diagnostic mark: a warning triangle at the instant a diagnostic was recorded.

One painter for the lanes and the legend, so both show the same sign. Yellow with a black edge
and a black "!" reads on every lane colour, light or dark, and on a projector.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPolygonF

from loopviz.ui.palette import YELLOW


def paint_alert(p: QPainter, x: float, top: float, height: float, scale: float = 1.0) -> None:
    """A triangle of ``height`` px, centred on device x ``x``, its top at ``top``."""
    h = max(height, 8.0)
    half = 0.58 * h
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setPen(QPen(QColor("#000000"), max(1.0, 1.2 * scale)))
    p.setBrush(QColor(YELLOW))
    p.drawPolygon(QPolygonF([QPointF(x, top), QPointF(x + half, top + h),
                             QPointF(x - half, top + h)]))
    font = QFont()
    font.setPixelSize(max(6, int(h * 0.62)))
    font.setBold(True)
    p.setFont(font)
    p.drawText(QRectF(x - half, top + 0.22 * h, 2 * half, 0.78 * h),
               Qt.AlignmentFlag.AlignCenter, "!")
    p.restore()
