"""The caption line: one large sentence saying what just happened (replay, scrubbing, live).

The sentences come from :mod:`loopviz.trace.captions` (pure); this widget only shows them big
enough to read on a recording, and can be switched off.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from loopviz.trace import Trace
from loopviz.trace.captions import caption_at

BASE_POINTS = 15.0


class CaptionBar(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caption")
        self.setWordWrap(False)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setContentsMargins(8, 2, 8, 2)
        self.enabled = True
        self.set_scale(1.0)

    def set_scale(self, scale: float) -> None:
        font = QFont(self.font())
        font.setPointSizeF(BASE_POINTS * scale)
        font.setBold(True)
        self.setFont(font)
        self.setMinimumHeight(int(self.fontMetrics().height() * 1.5))

    def show_at(self, trace: Trace | None, t_ns: int, hold_ns: int | None = None) -> None:
        text = caption_at(trace, t_ns, hold_ns) if trace is not None and self.enabled else ""
        self.setText(text)
        self.setToolTip(text)
