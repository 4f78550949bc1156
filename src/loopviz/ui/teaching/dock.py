"""The teaching panel's bottom dock: the replay transport (buttons, speed, clock) above the
caption, and the loop's queues beside the async stack.

Widgets only: what the buttons do and what the panels show is ``panel.Teaching``'s job; this
module lays them out, once, so the panel's logic reads without the layout code.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from loopviz.ui.state.replay_clock import SPEEDS

_BUTTONS = (("home", "|◀◀", "Start (Home)"), ("prev", "◀", "Previous event (←)"),
            ("play", "▶ Replay", "Replay / pause (Space)"),
            ("next", "▶", "Next event (→)"), ("end", "▶▶|", "End (End)"))


class TransportBar(QWidget):
    """Replay transport: ``buttons`` by key (home, prev, play, next, end), the ``speed_box``
    (one entry per replay speed, its data the speed) and the ``clock`` label."""

    def __init__(self) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 0, 4, 0)
        self.buttons: dict[str, QToolButton] = {}
        for key, text, tip in _BUTTONS:
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            row.addWidget(button)
            self.buttons[key] = button
        self.speed_box = QComboBox()
        for speed in SPEEDS:
            self.speed_box.addItem(f"{speed:g}×", speed)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.setToolTip("Replay speed ([ slower, ] faster)")
        row.addWidget(self.speed_box)
        self.clock = QLabel("")
        row.addWidget(self.clock, 1)

    def show_speed(self, speed: float) -> None:
        """Select ``speed`` in the box (no signal when it is already selected)."""
        i = self.speed_box.findData(speed)
        if i >= 0 and i != self.speed_box.currentIndex():
            self.speed_box.setCurrentIndex(i)


class TeachingDock(QDockWidget):
    """The bottom dock; its toggle action (F9) is named for what it shows."""

    def __init__(self, window: QMainWindow, transport: QWidget, caption: QWidget,
                 queues: QWidget, stack: QWidget) -> None:
        super().__init__("Replay · loop queues · async stack", window)
        self.setObjectName("dock-teaching")
        body = QWidget()
        col = QVBoxLayout(body)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        col.addWidget(transport)
        col.addWidget(caption)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("splitter-teaching")
        queues.setMinimumHeight(170)
        split.addWidget(queues)
        split.addWidget(stack)
        split.setSizes([900, 500])
        col.addWidget(split, 1)
        self.setWidget(body)
        toggle = self.toggleViewAction()
        toggle.setText("Teaching &panel (replay, loop queues, async stack)")
        toggle.setShortcut(QKeySequence("F9"))
