"""The window's commands as QActions, its menus and its toolbar, in one place.

Why apart from the window: shortcuts and menu structure are what users learn first and tests
trigger directly (``window.actions.run.trigger()``), so they are listed here plainly; the window
connects them to its methods. Invariant: every command with a keyboard shortcut is reachable
from a menu too (keyboard-only operation, and the menu teaches the shortcut).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QSizePolicy, QStyle, QToolBar, QWidget


class WindowActions:
    def __init__(self, window: QMainWindow) -> None:
        style = window.style()

        def make(text: str,
                 shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                 tip: str = "",
                 icon: QStyle.StandardPixmap | None = None) -> QAction:
            action = QAction(text, window)
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            if icon is not None:
                action.setIcon(style.standardIcon(icon))
            tip = tip or text.replace("…", "")
            if shortcut is not None:
                tip = f"{tip} ({QKeySequence(shortcut).toString()})"
            action.setToolTip(tip)
            action.setStatusTip(tip)
            window.addAction(action)
            return action

        sp = QStyle.StandardPixmap
        self.run = make("&Run", "F5", "Run the selected demo or script", sp.SP_MediaPlay)
        self.cancel = make("&Cancel", "Esc", "Cancel the run (like a CancellationToken)",
                           sp.SP_MediaStop)
        self.open_script = make("Open &script…", "Ctrl+Shift+O",
                                "Open a .py file that defines async def main()")
        self.open_trace = make("&Open trace…", QKeySequence.StandardKey.Open,
                               "Open a saved trace (read-only)", sp.SP_DialogOpenButton)
        self.attach = make("&Attach to a running program…", "Ctrl+Shift+A",
                           "Watch a program that serves its trace (loopviz.serve, "
                           "loopviz run --serve): its recent past, then live")
        self.save_trace = make("&Save trace…", QKeySequence.StandardKey.Save,
                               "Save the trace of this run", sp.SP_DialogSaveButton)
        self.export_chrome = make("Export &Chrome trace…", None,
                                  "Export for chrome://tracing or ui.perfetto.dev")
        self.export_png = make("Export timeline as &PNG…")
        self.export_svg = make("Export timeline as S&VG…")
        self.screenshot = make("Save &window as PNG…", None, "A screenshot of the whole window")
        self.quit = make("&Quit", QKeySequence.StandardKey.Quit)
        self.presentation = make("&Presentation mode", "F11",
                                 "Big fonts and thick lines for a projector")
        self.presentation.setCheckable(True)
        self.follow_live = make("&Follow live", "Ctrl+L", "Keep the newest time in view")
        self.follow_live.setCheckable(True)
        self.follow_live.setChecked(True)
        self.cancel.setEnabled(False)

    def build_menus(self, window: QMainWindow) -> None:
        bar = window.menuBar()
        file_menu = bar.addMenu("&File")
        for action in (self.open_script, self.open_trace, self.attach, self.save_trace):
            file_menu.addAction(action)
        file_menu.addSeparator()
        for action in (self.export_chrome, self.export_png, self.export_svg, self.screenshot):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        run_menu = bar.addMenu("&Run")
        run_menu.addAction(self.run)
        run_menu.addAction(self.cancel)
        view_menu = self.view_menu = bar.addMenu("&View")
        view_menu.addAction(self.presentation)
        view_menu.addAction(self.follow_live)

    def build_toolbar(self, window: QMainWindow, controls: QWidget, pulse: QWidget,
                      clock: QLabel) -> QToolBar:
        bar = QToolBar("Run")
        bar.setObjectName("run-toolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.addAction(self.run)
        bar.addAction(self.cancel)
        bar.addSeparator()
        bar.addWidget(controls)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        ui_label = QLabel("UI thread ")
        ui_label.setToolTip(pulse.toolTip())
        bar.addWidget(ui_label)
        bar.addWidget(pulse)
        bar.addWidget(clock)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        return bar

    def set_running(self, running: bool) -> None:
        self.run.setEnabled(not running)
        self.cancel.setEnabled(running)
        for action in (self.open_trace, self.open_script, self.attach):
            action.setEnabled(not running)
