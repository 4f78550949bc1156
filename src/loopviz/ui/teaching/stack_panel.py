"""The async stack panel: every live task's await chain at the cursor.

One top-level row per task (name, state, what it waits on), its coroutine frames below it,
outermost first, ending in the library call it waits in: the "state machine" of each coroutine
made visible. What to show is :func:`loopviz.trace.timeslice.stacks_at`; this only lists it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from loopviz.trace import Trace
from loopviz.trace.timeslice import AsyncStack, stacks_at
from loopviz.trace.wording import place
from loopviz.ui.palette import palette_for, state_key

MAX_TASKS = 400  # beyond this the panel lists the first ones (a 10k-task demo stays cheap)
_STATE_WORDS = {"running": "running", "ready": "ready (woken, waiting for the loop)",
                "waiting": "waiting"}


class AsyncStackPanel(QTreeWidget):
    """Invariant: ``stacks`` is exactly what the rows show."""

    frameActivated = Signal(str, int)  # file, line

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("async-stack")
        self.setColumnCount(2)
        self.setHeaderLabels(["task / frame", "state · line"])
        self.setRootIsDecorated(True)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.stacks: list[AsyncStack] = []
        self.scale = 1.0
        self.itemActivated.connect(self._activated)

    def show_at(self, trace: Trace | None, t_ns: int) -> None:
        stacks = stacks_at(trace, t_ns)[:MAX_TASKS] if trace is not None else []
        if stacks == self.stacks:
            return
        self.stacks = stacks
        pal = palette_for(self.palette())
        bold = QFont(self.font())
        bold.setBold(True)
        self.setUpdatesEnabled(False)
        self.clear()
        for stack in stacks:
            what = _STATE_WORDS.get(stack.state, stack.state)
            if stack.label and stack.state != "running":
                what = f"{what}: {stack.label}"
            top = QTreeWidgetItem([stack.name, what])
            top.setFont(0, bold)
            style = pal.style(state_key(stack.state, stack.kind))
            top.setForeground(1, QBrush(QColor(style.hatch)))  # the darker shade: legible
            top.setData(0, Qt.ItemDataRole.UserRole, (stack.file, stack.line))
            for frame in stack.frames:
                child = QTreeWidgetItem([f"{frame.function or '?'}",
                                         place(frame.file, frame.line)])
                child.setData(0, Qt.ItemDataRole.UserRole, (frame.file, frame.line))
                child.setToolTip(0, f"{frame.file}:{frame.line}")
                top.addChild(child)
            self.addTopLevelItem(top)
            top.setExpanded(True)
        self.resizeColumnToContents(0)
        self.setUpdatesEnabled(True)

    def rows(self) -> list[tuple[str, ...]]:
        """(column 0, column 1) of every row, depth first: what a reader sees (for tests)."""
        out: list[tuple[str, ...]] = []
        tops = (self.topLevelItem(i) for i in range(self.topLevelItemCount()))
        for top in filter(None, tops):
            out.append((top.text(0), top.text(1)))
            kids = (top.child(k) for k in range(top.childCount()))
            out += [("  " + kid.text(0), kid.text(1)) for kid in filter(None, kids)]
        return out

    def set_scale(self, scale: float) -> None:
        self.scale = scale
        font = QFont()
        font.setPointSizeF(font.pointSizeF() * scale)
        self.setFont(font)
        self.stacks = []

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        where = item.data(0, Qt.ItemDataRole.UserRole)
        if where and where[0]:
            self.frameActivated.emit(where[0], int(where[1]))

