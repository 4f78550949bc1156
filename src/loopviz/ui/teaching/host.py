"""What the teaching tools use of the window they are installed in, typed: the panel depends on
these names, not on the whole main window (which imports the panel). The main window is a
TeachingHost; nothing else here is implemented."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMainWindow

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QSplitter

    from loopviz.ui.actions import WindowActions
    from loopviz.ui.bridge import TraceBridge
    from loopviz.ui.browser import DemoBrowser
    from loopviz.ui.code_view import CodeView
    from loopviz.ui.controls import ParamControls
    from loopviz.ui.responsiveness import ResponsivenessChart
    from loopviz.ui.runs import RunController
    from loopviz.ui.settings import AppSettings
    from loopviz.ui.timeline.view import TimelineView


class TeachingHost(QMainWindow):
    """A main window with the parts the teaching panel works with (declared, not made here)."""

    commands: WindowActions
    bridge: TraceBridge
    browser: DemoBrowser
    chart: ResponsivenessChart
    code: CodeView
    controls: ParamControls
    loop: asyncio.AbstractEventLoop
    runs: RunController
    settings: AppSettings
    splitters: dict[str, QSplitter]
    timeline: TimelineView
    selected_task: int | None
    if TYPE_CHECKING:
        runFinished: SignalInstance  # the window's Signal(object): RunResult | None
