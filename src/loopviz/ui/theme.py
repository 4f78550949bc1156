"""The app's look: a light or dark Qt palette that follows the system, and presentation scaling.

Why here and not in each widget: the palette is global state of the QApplication, and the
views (code view, charts) read their colours from it, so a switch of the system's colour scheme
re-themes everything at once through :data:`ThemeWatcher.changed`. State colours (running,
waiting, blocked, ...) are not here: they belong to ``loopviz.ui.palette`` and mean the same in
light and dark.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

PRESENTATION_SCALE = 1.6
"""How much bigger fonts and strokes get in presentation mode (readable from the back row)."""


@dataclass(frozen=True, slots=True)
class Theme:
    """The few colours the non-timeline views need beyond the Qt palette."""

    dark: bool
    chart_background: str
    chart_foreground: str
    heartbeat: str  # UI heartbeat interval curve
    lag: str  # loop lag curve
    freeze: str  # shaded freezes (a red with alpha)
    current_line: str  # code view: the selected task's line
    other_line: str  # code view: other tasks' lines
    diagnostic_line: str  # code view: lines with a diagnostic or block
    ok: str
    bad: str
    own: str = "#a6a6a670"  # loopviz's own work shaded in the chart (the UI lane's grey)


LIGHT = Theme(False, "#ffffff", "#202020", "#0072b2", "#e69f00", "#d5553580", "#fff2a8",
              "#e8f0fb", "#f9d4cf", "#117733", "#c0392b")
DARK = Theme(True, "#1e1f22", "#e6e6e6", "#56b4e9", "#e69f00", "#ff6b6b70", "#5c5420",
             "#27344a", "#5a2a2a", "#44bb77", "#ff6b6b", "#7d7d7d70")


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints is not None and hints.colorScheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor("#2b2d31"), QColor("#1e1f22"), QColor("#e6e6e6")
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, QPalette.ColorRole.Window, window)
        p.setColor(group, QPalette.ColorRole.WindowText, text)
        p.setColor(group, QPalette.ColorRole.Base, base)
        p.setColor(group, QPalette.ColorRole.AlternateBase, QColor("#26282c"))
        p.setColor(group, QPalette.ColorRole.Text, text)
        p.setColor(group, QPalette.ColorRole.Button, QColor("#34363b"))
        p.setColor(group, QPalette.ColorRole.ButtonText, text)
        p.setColor(group, QPalette.ColorRole.ToolTipBase, QColor("#34363b"))
        p.setColor(group, QPalette.ColorRole.ToolTipText, text)
        p.setColor(group, QPalette.ColorRole.Highlight, QColor("#3d6fb4"))
        p.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
        p.setColor(group, QPalette.ColorRole.Link, QColor("#7ab7ff"))
        p.setColor(group, QPalette.ColorRole.PlaceholderText, QColor("#8a8d93"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#7a7d83"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#7a7d83"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#7a7d83"))
    return p


class ThemeWatcher(QObject):
    """Applies the palette that matches the system's colour scheme, now and on every change.

    Invariant: ``theme`` describes the palette currently applied to the application.
    """

    changed = Signal(object)  # Theme

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        self._base_font = QFont(app.font())
        self.theme = LIGHT
        self.apply()
        hints = QGuiApplication.styleHints()
        if hints is not None:
            hints.colorSchemeChanged.connect(lambda _scheme: self.apply())

    def apply(self) -> None:
        self._app.setStyle("Fusion")
        dark = system_is_dark()
        self._app.setPalette(dark_palette() if dark else self._app.style().standardPalette())
        self.theme = DARK if dark else LIGHT
        self.changed.emit(self.theme)

    def set_presentation(self, on: bool) -> None:
        """Scale the application font for a projector (widgets built later inherit it)."""
        font = QFont(self._base_font)
        size = font.pointSizeF() if font.pointSizeF() > 0 else 10.0
        font.setPointSizeF(size * (PRESENTATION_SCALE if on else 1.0))
        self._app.setFont(font)


def scaled(points: float, presentation: bool) -> float:
    """A size (font points, pen width) as it should be drawn in the current mode."""
    return points * (PRESENTATION_SCALE if presentation else 1.0)
