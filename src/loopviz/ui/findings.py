"""Findings and diagnostics: what the run proved, what went wrong, and the headline figures.

During a run the list shows diagnostics and freezes as they arrive; after it, the demo's
``check(trace)`` findings come first. Every entry with a time or a line is clickable and emits
``entryActivated(t_s, file, line)`` so the window can move the timeline and the code view there.
What to list is :func:`entries`/:func:`summary_figures`, pure functions of the trace.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from loopviz.trace import Finding, Trace
from loopviz.ui.theme import LIGHT, Theme

_ENTRY = Qt.ItemDataRole.UserRole


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the panel. ``t_ns``/``file``/``line`` say where clicking it goes."""

    text: str
    ok: bool
    t_ns: int | None = None
    file: str = ""
    line: int = 0
    kind: str = "finding"  # finding | diagnostic | block | status


def fmt_duration(ns: float) -> str:
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.0f} ms"
    return f"{ns / 1e3:.0f} µs"


def where(file: str, line: int) -> str:
    return f"{os.path.basename(file)}:{line}" if file else "unknown line"


def entries(trace: Trace | None, findings: Sequence[Finding] = (),
            status: tuple[str, str | None] | None = None) -> list[Entry]:
    """Findings first, then the run's status if it did not simply finish, then freezes and
    diagnostics in time order."""
    out = [Entry(f.text, f.ok) for f in findings]
    if status is not None and status[0] != "finished":
        out.append(Entry(f"run {status[0]}: {status[1] or ''}".strip(": "),
                         status[0] in ("cancelled",), kind="status"))
    if trace is None:
        return out
    timed: list[Entry] = []
    # The watchdog reports each block twice: as a Block and as a blocked-loop diagnostic at
    # its end. Show one entry, with the diagnostic's sentence, jumping to the block's start.
    said = {d.t_ns: d for d in trace.diagnostics if d.kind == "blocked-loop"}
    used: set[int] = set()
    for b in trace.blocks:
        diag = said.get(b.end_ns)
        if diag is not None:
            used.add(id(diag))
            text = diag.message
        else:
            text = (f"UI thread blocked {fmt_duration(b.end_ns - b.start_ns)} by "
                    f"{b.function or 'code'} at {where(b.file, b.line)}")
        timed.append(Entry(text, False, b.start_ns, b.file, b.line, "block"))
    for d in trace.diagnostics:
        if id(d) not in used:
            timed.append(Entry(f"{d.kind}: {d.message}", False, d.t_ns, d.file, d.line,
                               "diagnostic"))
    timed.sort(key=lambda e: e.t_ns or 0)
    return out + timed


def summary_figures(trace: Trace | None, live: bool = False) -> list[tuple[str, str]]:
    """(name, value) pairs for the headline: tasks, max concurrency, longest block, lag p99.
    ``live`` leaves out max concurrency (a sort of every task's life: once, at the end)."""
    if trace is None:
        return []
    block = trace.longest_block()
    longest = (f"{fmt_duration(block.end_ns - block.start_ns)} ({where(block.file, block.line)})"
               if block else "none")
    return [("tasks", str(len(trace.tasks))),
            ("max concurrency", "…" if live else str(trace.max_concurrency())),
            ("longest block", longest),
            ("loop lag p99", fmt_duration(trace.lag_stats().p99)),
            ("duration", fmt_duration(trace.duration_ns))]


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
            item = QListWidgetItem(f"{mark}  {entry.text}")
            item.setData(_ENTRY, entry)
            item.setForeground(QColor(self.theme.ok if entry.ok else self.theme.bad))
            if entry.t_ns is not None or entry.line:
                at = f"at {fmt_duration(entry.t_ns or 0)}, {where(entry.file, entry.line)}"
                item.setToolTip(f"{at} — click to jump there")
            self.list.addItem(item)

    def entries(self) -> list[Entry]:
        return [self.list.item(i).data(_ENTRY) for i in range(self.list.count())]

    def _activate(self, item: QListWidgetItem) -> None:
        entry = item.data(_ENTRY)
        if isinstance(entry, Entry) and (entry.t_ns is not None or entry.line):
            self.entryActivated.emit((entry.t_ns or 0) / 1e9, entry.file, entry.line)
