"""A stand-in for the timeline while ``loopviz.ui.timeline.view`` is being built.

It has the TimelineView API (``set_trace``, ``set_live``, ``set_presentation``,
``zoom_to_task``, ``set_cursor_time``, ``export_png``/``export_svg``, ``taskSelected``,
``timeClicked``, ``view_box``) and draws each task's lifetime as a plain line, so the window
is usable and testable until the real widget lands. Delete it then.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from loopviz.trace import Trace


class PlaceholderTimeline(pg.PlotWidget):
    taskSelected = Signal(int)
    timeClicked = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.trace: Trace | None = None
        self.getPlotItem().invertY(True)
        self._cursor = pg.InfiniteLine(movable=False)
        self.addItem(self._cursor)
        self._cursor.hide()

    def view_box(self) -> pg.ViewBox:
        return self.getViewBox()

    def set_trace(self, trace: Trace | None) -> None:
        self.trace = trace
        self.getPlotItem().clearPlots()
        if trace is None:
            return
        for lane, task in enumerate(trace.tasks):
            start, end = trace.lifetime(task.id)
            self.plot([start / 1e9, end / 1e9], [lane, lane], pen=pg.mkPen(width=6))

    def set_live(self, on: bool) -> None:
        pass

    def set_presentation(self, on: bool) -> None:
        pass

    def zoom_to_task(self, task_id: int) -> None:
        pass

    def set_cursor_time(self, t_s: float | None) -> None:
        self._cursor.setVisible(t_s is not None)
        if t_s is not None:
            self._cursor.setValue(t_s)

    def export_png(self, path: str) -> None:
        self.grab().save(path)

    def export_svg(self, path: str) -> None:
        from pyqtgraph.exporters import SVGExporter

        SVGExporter(self.getPlotItem()).export(path)
