"""Findings and diagnostics: what the run proved, what went wrong, and the headline figures.

During a run the list shows diagnostics and freezes as they arrive; after it, the demo's
``check(trace)`` findings come first. Every entry with a time or a line is clickable and emits
``entryActivated(t_s, file, line)`` so the window can move the timeline and the code view there.
What to list is :func:`entries`/:func:`summary_figures`, pure functions of the trace.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from loopviz.trace import Finding, Trace
from loopviz.trace.concurrency import in_flight_peak
from loopviz.trace.facts import Fact, facts
from loopviz.trace.wording import duration, place
from loopviz.ui.theme import LIGHT, Theme

_ENTRY = Qt.ItemDataRole.UserRole
Entry = Fact  # one line of the panel; ``t_ns``/``file``/``line`` say where clicking it goes


def entries(trace: Trace | None, findings: Sequence[Finding] = (),
            status: tuple[str, str | None] | None = None) -> list[Fact]:
    """One line per fact (:func:`loopviz.trace.facts.facts`): findings first, merged with the
    block or diagnostic each restates, then the run's status if it did not simply finish,
    then the other freezes and diagnostics in time order, repeats counted."""
    return facts(trace, findings, status)


def summary_figures(trace: Trace | None, live: bool = False) -> list[tuple[str, str]]:
    """(name, value) pairs for the headline: tasks, how many were alive and in flight at
    most (a semaphore keeps all throttled jobs alive but only K in flight), longest block,
    lag p99. ``live`` leaves out the two peaks (a sort of every task's life and wait: once,
    at the end)."""
    if trace is None:
        return []
    block = trace.longest_block()
    longest = (f"{duration(block.end_ns - block.start_ns)} ({place(block.file, block.line)})"
               if block else "none")
    return [("tasks", str(len(trace.tasks))),
            ("alive at most", "…" if live else str(trace.max_concurrency())),
            ("in flight at most", "…" if live else str(in_flight_peak(trace))),
            ("longest block", longest),
            ("loop lag p99", duration(trace.lag_stats().p99)),
            ("duration", duration(trace.duration_ns))]


def findings_for_saved(trace: Trace) -> list[Finding]:
    """What the demo's check says about a saved run (general findings for scripts)."""
    from loopviz.demos import get_demo
    from loopviz.session import general_findings

    try:
        demo = get_demo(str(trace.meta.get("target", "")))
        params = trace.meta.get("params") or {}
        return demo.findings(trace, trace.meta.get("variant"), **params)
    except Exception:
        return general_findings(trace)


def summary_line(trace: Trace | None, live: bool = False) -> str:
    return " · ".join(f"{name} {value}" for name, value in summary_figures(trace, live))


class FindingsPanel(QWidget):
    """Invariant: ``list`` holds exactly :func:`entries` of the last ``show`` call."""

    entryActivated = Signal(float, str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme: Theme = LIGHT
        self.figures = QLabel()
        self.figures.setWordWrap(True)
        self.figures.setTextFormat(Qt.TextFormat.RichText)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.setToolTip("Click a diagnostic or freeze to jump to its time and line")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.figures)
        layout.addWidget(self.list, 1)
        self._shown: tuple[object, ...] = ()
        self.list.itemActivated.connect(self._activate)
        self.list.itemClicked.connect(self._activate)
        self.show_trace(None)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self._shown = ()

    def show_trace(self, trace: Trace | None, findings: Sequence[Finding] = (),
                   status: tuple[str, str | None] | None = None, live: bool = False) -> None:
        key = (live, id(trace) if not live else 0, len(trace.blocks) if trace else 0,
               len(trace.diagnostics) if trace else 0, len(trace.tasks) if trace else 0,
               tuple(f.text for f in findings), status)
        if key == self._shown:
            return  # a live trace with nothing new for this panel: skip the rebuild
        self._shown = key
        figures = summary_figures(trace, live)
        self.figures.setText(
            "<table>" + "".join(f"<tr><td style='padding-right:10px'>{name}</td>"
                                f"<td><b>{value}</b></td></tr>" for name, value in figures)
            + "</table>" if figures else "<i>Run a demo to see what it proves.</i>")
        self.list.clear()
        for entry in entries(trace, findings, status):
            mark = "✓" if entry.ok else ("✗" if entry.kind in ("finding", "status") else "⚠")
            item = QListWidgetItem(f"{mark}  {entry.shown}")
            item.setData(_ENTRY, entry)
            item.setForeground(QColor(self.theme.ok if entry.ok else self.theme.bad))
            if entry.t_ns is not None or entry.line:
                at = f"at {duration(entry.t_ns or 0)}, {place(entry.file, entry.line)}"
                item.setToolTip(f"{at} — click to jump there")
            self.list.addItem(item)

    def entries(self) -> list[Entry]:
        return [self.list.item(i).data(_ENTRY) for i in range(self.list.count())]

    def _activate(self, item: QListWidgetItem) -> None:
        entry = item.data(_ENTRY)
        if isinstance(entry, Entry) and (entry.t_ns is not None or entry.line):
            self.entryActivated.emit((entry.t_ns or 0) / 1e9, entry.file, entry.line)
