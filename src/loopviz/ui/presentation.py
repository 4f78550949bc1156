"""Presentation mode (F11, ``--presentation``): the window as a projector shows it to a room.

Only the chosen panels stay (by default the timeline, the responsiveness chart and the
captions: what a room watches while the teacher talks); everything else (demo browser, code,
findings, replay controls, loop queues, the status bar) steps aside, and comes back as it was
when the mode ends. Fonts and strokes grow by ``PRESENTATION_SCALE`` and the timeline switches
to its high-contrast palette. Which panels a presentation shows is remembered
(View › Presentation panels).

Invariant: while the mode is on, a managed widget is visible exactly when its panel is chosen;
when it ends, every managed widget has the visibility it had before.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import QApplication, QDockWidget, QMenu, QWidget

from loopviz.ui.theme import PRESENTATION_SCALE

PANELS: dict[str, str] = {
    "timeline": "Timeline", "chart": "Responsiveness chart", "captions": "Captions",
    "replay": "Replay controls", "queues": "Loop queues and async stack", "code": "Code",
    "findings": "Findings and figures", "demos": "Demos and explanation",
}
DEFAULT_PANELS: frozenset[str] = frozenset({"timeline", "chart", "captions"})
TIMELINE_SHARE = 0.7  # of the centre column, in presentation mode (lanes are taller)
# The toolbar is the teacher's, not the room's: it grows less, and Run/Cancel show icons only,
# so a demo's knobs still fit a 1280 px projector.
TOOLBAR_SCALE = 1.2
CODE_SHARE = 0.42  # of the window's width at most for the code, when a presentation shows it


class Presentation:
    """Switches the window in and out of presentation mode; see the module docstring."""

    def __init__(self, window: Any) -> None:  # the MainWindow (which imports this module)
        self.window = window
        self.on = False
        self.panels: set[str] = set(window.settings.presentation_panels(DEFAULT_PANELS))
        self._saved: dict[QWidget, bool] = {}
        self._saved_columns: list[int] = []
        self.menu = QMenu("Presentation &panels", window)
        self.actions: dict[str, QAction] = {}
        for name, label in PANELS.items():
            action = self.menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(name in self.panels)
            action.toggled.connect(lambda on, n=name: self.choose(n, on))
            self.actions[name] = action

    def managed(self) -> dict[str, list[QWidget]]:
        """The widgets each panel stands for (the teaching dock's parts when it exists)."""
        w = self.window
        out: dict[str, list[QWidget]] = {
            "timeline": [w.timeline], "chart": [w.chart], "code": [w.code],
            "findings": [w.findings_panel], "demos": [w.splitters["left"]],
        }
        teaching = getattr(w, "teaching", None)
        if teaching is not None:
            out["captions"] = [teaching.caption]
            out["replay"] = [teaching.transport]
            out["queues"] = [teaching.queues.parentWidget()]
        return out

    def _containers(self) -> list[tuple[QWidget, set[str]]]:
        """Widgets holding several panels: shown when any of theirs is chosen."""
        w = self.window
        out: list[tuple[QWidget, set[str]]] = [(w.splitters["right"], {"code", "findings"}),
                                               (w.splitters["center"], {"timeline", "chart"})]
        teaching = getattr(w, "teaching", None)
        if teaching is not None:
            out.append((teaching.dock, {"captions", "replay", "queues"}))
        return out

    def _all(self) -> list[QWidget]:
        widgets = [x for ws in self.managed().values() for x in ws]
        widgets += [c for c, _ in self._containers()]
        widgets += [self.window.statusBar()]
        widgets += [d for d in self.window.findChildren(QDockWidget)
                    if d not in widgets]  # the quiz dock and any other
        return widgets

    def set_on(self, on: bool) -> None:
        """Enter or leave presentation mode."""
        w = self.window
        if on and not self.on:
            self._saved = {x: not x.isHidden() for x in self._all()}
            self._saved_columns = w.splitters["main"].sizes()
        self.on = on
        watcher = getattr(QApplication.instance(), "loopviz_theme", None)
        if watcher is not None:
            watcher.set_presentation(on)
        w.timeline.set_presentation(on)
        w.chart.set_presentation(on)
        w.code.set_font_scale(PRESENTATION_SCALE if on else 1.0)
        self._compact_toolbar(on)
        if on:
            w.give_timeline_room(TIMELINE_SHARE)
            self._apply()
        else:
            for widget, visible in self._saved.items():
                widget.setVisible(visible)
            self._saved = {}
            w.code.set_wrap(False)
            if self._saved_columns:
                w.splitters["main"].setSizes(self._saved_columns)
            teaching = getattr(w, "teaching", None)
            if teaching is not None:
                teaching.caption.setWordWrap(False)
                teaching.dock.setTitleBarWidget(None)  # the dock's own title bar again
            w.give_timeline_room(0.76)

    def _compact_toolbar(self, on: bool) -> None:
        bar = self.window.toolbar
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly if on
                               else Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        font = QFont(QApplication.font())  # the app's, already scaled (or back) for the mode
        if on:
            font.setPointSizeF(font.pointSizeF() * TOOLBAR_SCALE / PRESENTATION_SCALE)
        bar.setFont(font)

    def choose(self, panel: str, shown: bool) -> None:
        """Show (or leave out) ``panel`` in presentations, now if the mode is on."""
        if shown:
            self.panels.add(panel)
        else:
            self.panels.discard(panel)
        self.window.settings.set_presentation_panels(self.panels)
        if self.on:
            self._apply()

    def _apply(self) -> None:
        for widget in self._all():
            if isinstance(widget, QDockWidget):
                widget.setVisible(False)
        self.window.statusBar().setVisible(False)
        for name, widgets in self.managed().items():
            for widget in widgets:
                widget.setVisible(name in self.panels)
        for container, names in self._containers():
            container.setVisible(bool(names & self.panels))
        teaching = getattr(self.window, "teaching", None)
        if teaching is not None:
            teaching.caption.setWordWrap(True)  # a long sentence wraps, never clipped
            teaching.dock.setTitleBarWidget(QWidget())  # no title: the room reads the caption
        self.window.splitters["main"].setStretchFactor(1, 1)
        self._fit_code()
        dock = teaching.dock if teaching is not None else None
        if dock is not None and dock.isVisible():  # as tall as what it shows, no more
            self.window.resizeDocks([dock], [dock.widget().minimumSizeHint().height()],
                                    Qt.Orientation.Vertical)

    def _fit_code(self) -> None:
        """The code column as wide as its longest line needs at the presentation font, at most
        ``CODE_SHARE`` of the window (the timeline keeps the rest); a line that still does not
        fit wraps instead of being cut off at the edge."""
        w = self.window
        w.code.set_wrap(True)
        if "code" not in self.panels:
            return
        columns = w.splitters["main"]
        sizes = columns.sizes()
        total = sum(sizes)
        left = sizes[0] if "demos" in self.panels else 0
        code = min(w.code.width_for_longest_line(), round(CODE_SHARE * total))
        columns.setSizes([left, max(0, total - left - code), code])
