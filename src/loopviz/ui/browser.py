"""The demo browser: the catalogue by category, a search box, and the user's own scripts.

It is given the demos (``loopviz.demos.all_demos()`` in the app) and only reports choices:
``targetSelected(str)`` with a demo id or a script path, ``openScriptRequested()`` when the
user asks to open a ``.py`` file. Invariant: every visible leaf item carries its target spec in
``Qt.UserRole``; category items carry none and are never "selected" as targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from loopviz.demos import CATEGORIES, Demo

SCRIPTS = "Your scripts"
_SPEC = Qt.ItemDataRole.UserRole
_SEARCH = Qt.ItemDataRole.UserRole + 1


def matches(demo: Demo, query: str) -> bool:
    """True if every word of ``query`` occurs in the demo's id, title, category or summary."""
    hay = " ".join((demo.id, demo.title, demo.category, demo.summary)).lower()
    return all(word in hay for word in query.lower().split())


class DemoBrowser(QWidget):
    targetSelected = Signal(str)
    openScriptRequested = Signal()

    def __init__(self, demos: Sequence[Demo], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._demos = list(demos)
        self.search = QLineEdit(placeholderText="Search demos…")
        self.search.setClearButtonEnabled(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setWordWrap(True)
        self.open_button = QPushButton("Open script…")
        self.open_button.setToolTip("Run your own .py file that defines async def main()")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.open_button)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._categories: dict[str, QTreeWidgetItem] = {}
        self._populate()
        self.search.textChanged.connect(self._filter)
        self.tree.currentItemChanged.connect(self._on_current)
        self.open_button.clicked.connect(self.openScriptRequested)

    # ---- building ----------------------------------------------------------------------------
    def _category(self, name: str) -> QTreeWidgetItem:
        item = self._categories.get(name)
        if item is None:
            item = QTreeWidgetItem([name])
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(item)
            item.setExpanded(True)
            self._categories[name] = item
        return item

    def _populate(self) -> None:
        order = {c: i for i, c in enumerate(CATEGORIES)}
        for demo in sorted(self._demos, key=lambda d: order.get(d.category, len(order))):
            item = QTreeWidgetItem([demo.title])
            item.setData(0, _SPEC, demo.id)
            item.setData(0, _SEARCH, demo)
            item.setToolTip(0, f"{demo.summary}\n\nid: {demo.id}")
            item.setStatusTip(0, demo.summary)
            self._category(demo.category).addChild(item)
            self._items[demo.id] = item

    def add_script(self, path: str) -> None:
        """List a user's script under "Your scripts" and select it."""
        item = self._items.get(path)
        if item is None:
            item = QTreeWidgetItem([Path(path).name])
            item.setData(0, _SPEC, path)
            item.setToolTip(0, path)
            self._category(SCRIPTS).addChild(item)
            self._items[path] = item
        self.select(path)

    # ---- queries and commands ---------------------------------------------------------------
    def select(self, spec: str) -> bool:
        """Make ``spec`` (demo id or script path) the current item; False if it is not listed."""
        item = self._items.get(spec)
        if item is None:
            return False
        if item.isHidden():
            self.search.clear()
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)
        return True

    def clear_selection(self) -> None:
        """No current item (an opened trace of a program that is not listed here)."""
        self.tree.blockSignals(True)
        self.tree.setCurrentIndex(QModelIndex())
        self.tree.clearSelection()
        self.tree.blockSignals(False)

    def current(self) -> str | None:
        item = self.tree.currentItem()
        value = item.data(0, _SPEC) if item is not None else None
        return value if isinstance(value, str) else None

    def visible_specs(self) -> list[str]:
        return [spec for spec, item in self._items.items() if not item.isHidden()]

    # ---- reactions -------------------------------------------------------------------------
    def _filter(self, text: str) -> None:
        for spec, item in self._items.items():
            demo = item.data(0, _SEARCH)
            shown = matches(demo, text) if isinstance(demo, Demo) else text.lower() in spec.lower()
            item.setHidden(not shown)
        for category in self._categories.values():
            children = [category.child(i) for i in range(category.childCount())]
            category.setHidden(all(child is None or child.isHidden() for child in children))

    def _on_current(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        spec = item.data(0, _SPEC) if item is not None else None
        if isinstance(spec, str):
            self.targetSelected.emit(spec)
