"""The code view: the demo's or script's source, highlighted by Pygments, with the lines where
tasks are suspended now and the lines that caused diagnostics or blocks marked in the gutter.

What to mark is :func:`code_marks`, a pure function of (trace, file, selected task, time) that
tests call without a window; the widget only paints it. Gutter markers: ``▶`` the selected
task's line, ``●`` another live task's line, ``⚠`` a diagnostic or a block.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
from pygments.lexers import PythonLexer
from pygments.styles import get_style_by_name
from pygments.token import _TokenType
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QPainter,
    QResizeEvent,
    QSyntaxHighlighter,
    QTextBlock,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from loopviz.trace import Trace
from loopviz.trace.columns import NA
from loopviz.ui.theme import LIGHT, Theme


def same_file(a: str, b: str) -> bool:
    """True if two recorded paths name the same source file (relative paths by basename)."""
    if not a or not b:
        return False
    if os.path.isabs(a) and os.path.isabs(b):
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))
    return os.path.basename(a) == os.path.basename(b)


@dataclass(frozen=True, slots=True)
class CodeMarks:
    """Lines (1-based) of one file to mark: the selected task's, other tasks', diagnostics'."""

    current: int | None = None
    others: dict[int, list[str]] = field(default_factory=dict)
    problems: dict[int, str] = field(default_factory=dict)


def task_line(trace: Trace, task_id: int, t_ns: int | None = None) -> tuple[str, int] | None:
    """Where ``task_id`` is at ``t_ns`` (default: the end of the trace): the line it is
    suspended at, else the last line it was suspended at before ``t_ns``, else None."""
    t = trace.duration_ns if t_ns is None else t_ns
    state = trace.state_at(task_id, t)
    if state.file:
        return state.file, state.line
    past = [w for w in trace.waits_of(task_id) if w.start_ns <= t and w.file]
    return (past[-1].file, past[-1].line) if past else None


def code_marks(trace: Trace | None, source_file: str, selected: int | None = None,
               t_ns: int | None = None) -> CodeMarks:
    if trace is None or not source_file:
        return CodeMarks()
    t = trace.duration_ns if t_ns is None else t_ns
    current = None
    if selected is not None and trace.task_table.row_of(selected) is not None:
        where = task_line(trace, selected, t)
        if where is not None and same_file(where[0], source_file):
            current = where[1]
    others = suspended_lines(trace, source_file, t, selected)
    problems: dict[int, str] = {}
    for block in trace.blocks:
        if same_file(block.file, source_file) and block.start_ns <= t:
            ms = (block.end_ns - block.start_ns) / 1e6
            problems[block.line] = f"blocked the UI thread {ms:.0f} ms ({block.function})"
    for diag in trace.diagnostics:
        if same_file(diag.file, source_file) and diag.t_ns <= t:
            problems.setdefault(diag.line, f"{diag.kind}: {diag.message}")
    return CodeMarks(current, others, problems)


def suspended_lines(trace: Trace, source_file: str, t_ns: int,
                    skip: int | None = None) -> dict[int, list[str]]:
    """The names of the tasks suspended at ``t_ns`` at each line of ``source_file`` (all but
    ``skip``), in task order: what ``Trace.state_at`` says of each task, read from the wait
    columns at once (a 10,000-task run asked each task in turn: half a second at its end).
    A wait holds its task from its start until its end (open: past the trace's end), and a
    task's waits never overlap, so the waits spanning ``t_ns`` are the suspended tasks'."""
    wt = trace.wait_table
    if not len(wt):
        return {}
    ends = np.where(wt.end_ns == NA, trace.duration_ns + 1, wt.end_ns)
    inside = np.flatnonzero((wt.start_ns <= t_ns) & (t_ns < ends))
    if skip is not None:
        inside = inside[wt.task[inside] != skip]
    if not len(inside):
        return {}
    sites = wt.site[inside]
    here = {i for i in np.unique(sites).tolist() if same_file(wt.sites[i][0], source_file)}
    inside = inside[np.isin(sites, list(here))]
    tt = trace.task_table
    rows = tt.rows_of(wt.task[inside])
    order = np.lexsort((inside, rows))  # task order, as the tasks are listed
    names = tt.name
    others: dict[int, list[str]] = {}
    for w, row in zip(inside[order].tolist(), rows[order].tolist(), strict=True):
        if row >= 0:
            others.setdefault(wt.sites[wt.site[w]][1], []).append(names[row])
    return others


class PygmentsHighlighter(QSyntaxHighlighter):
    """Applies Pygments' Python tokens to a QTextDocument, block by block (lexed once)."""

    def __init__(self, document: QTextDocument, style: str = "default") -> None:
        super().__init__(document)
        self._formats: dict[_TokenType, QTextCharFormat] = {}
        self._spans: dict[int, list[tuple[int, int, QTextCharFormat]]] = {}
        self.set_style(style)

    def set_style(self, name: str) -> None:
        self._style = get_style_by_name(name)
        self._formats.clear()
        self.relex()

    def _format(self, ttype: _TokenType) -> QTextCharFormat:
        fmt = self._formats.get(ttype)
        if fmt is None:
            spec = self._style.style_for_token(ttype)
            fmt = QTextCharFormat()
            if spec.get("color"):
                fmt.setForeground(QColor("#" + spec["color"]))
            if spec.get("bold"):
                fmt.setFontWeight(QFont.Weight.Bold)
            if spec.get("italic"):
                fmt.setFontItalic(True)
            self._formats[ttype] = fmt
        return fmt

    def relex(self) -> None:
        text = self.document().toPlainText()
        spans: dict[int, list[tuple[int, int, QTextCharFormat]]] = {}
        line, col = 0, 0
        for ttype, value in PythonLexer(stripnl=False, ensurenl=False).get_tokens(text):
            fmt = self._format(ttype)
            for i, part in enumerate(value.split("\n")):
                if i:
                    line, col = line + 1, 0
                if part:
                    spans.setdefault(line, []).append((col, len(part), fmt))
                    col += len(part)
        self._spans = spans
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for start, length, fmt in self._spans.get(self.currentBlock().blockNumber(), ()):
            self.setFormat(start, length, fmt)


class _Gutter(QWidget):
    def __init__(self, view: CodeView) -> None:
        super().__init__(view)
        self.view = view

    def sizeHint(self) -> QSize:
        return QSize(self.view.gutter_width(), 0)

    def paintEvent(self, event: object) -> None:
        self.view.paint_gutter(self)


class CodeView(QPlainTextEdit):
    """Read-only highlighted source. Invariant: ``marks`` is what the gutter and the line
    backgrounds show; ``set_marks`` is the only way to change it."""

    lineActivated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.theme: Theme = LIGHT
        self.source_file = ""
        self.marks = CodeMarks()
        self.highlighter = PygmentsHighlighter(self.document())
        self.gutter = _Gutter(self)
        self.blockCountChanged.connect(lambda _n: self._update_margins())
        self.updateRequest.connect(self._on_update_request)
        self._update_margins()

    # ---- content ---------------------------------------------------------------------------
    def show_source(self, path: str) -> None:
        """Show ``path`` (or a one-line note if it cannot be read); marks are cleared."""
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            text = f"# source not available: {path} ({type(exc).__name__})"
        self.show_text(path, text)

    def show_text(self, path: str, text: str) -> None:
        """Show ``text`` as the source of ``path`` (a saved trace's recorded copy: lines the
        trace names in ``path`` are marked in it); marks are cleared."""
        self.source_file = path
        self.setPlainText(text)
        self.highlighter.relex()
        self.set_marks(CodeMarks())

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.highlighter.set_style("one-dark" if theme.dark else "default")
        self.set_marks(self.marks)

    def set_font_scale(self, scale: float) -> None:
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        base = font.pointSizeF() if font.pointSizeF() > 0 else 10.0
        font.setPointSizeF(base * scale)
        self.setFont(font)
        self._update_margins()

    def set_wrap(self, on: bool) -> None:
        """Wrap long lines at the view's width (presentation: nothing is cut off), or scroll."""
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth if on
                             else QPlainTextEdit.LineWrapMode.NoWrap)

    def width_for_longest_line(self) -> int:
        """Pixels the view needs to show its longest line whole, at its current font."""
        longest = max(self.toPlainText().splitlines() or [""], key=len).expandtabs()
        margins = 2 * (self.frameWidth() + round(self.document().documentMargin()))
        return (self.gutter_width() + self.fontMetrics().horizontalAdvance(longest + "  ")
                + margins + self.verticalScrollBar().sizeHint().width())

    def set_marks(self, marks: CodeMarks) -> None:
        self.marks = marks
        selections = []
        for line, color in ([(ln, self.theme.diagnostic_line) for ln in marks.problems]
                            + [(ln, self.theme.other_line) for ln in marks.others
                               if ln not in marks.problems]
                            + ([(marks.current, self.theme.current_line)] if marks.current
                               else [])):
            block = self._block(line)
            if block is None:
                continue
            sel = QTextEdit.ExtraSelection()
            sel.format.setBackground(QColor(color))
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            sel.cursor = QTextCursor(block)
            tips = [marks.problems.get(line, ""), ", ".join(marks.others.get(line, []))]
            sel.format.setToolTip("\n".join(t for t in tips if t))
            selections.append(sel)
        self.setExtraSelections(selections)
        self.gutter.update()

    def scroll_to_line(self, line: int) -> None:
        block = self._block(max(1, line))
        if block is not None:
            self.setTextCursor(QTextCursor(block))
            self.centerCursor()

    def _block(self, line: int) -> QTextBlock | None:
        """Line ``line``'s block; None past the text (a trace may name any line: Qt takes
        a C int, and a bigger one would raise)."""
        if not 1 <= line <= self.document().blockCount():
            return None
        block = self.document().findBlockByNumber(line - 1)
        return block if block.isValid() else None

    # ---- gutter ----------------------------------------------------------------------------
    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return self.fontMetrics().horizontalAdvance("9" * digits + " ▶ ") + 6

    def _update_margins(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        cr = self.contentsRect()
        self.gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def paint_gutter(self, gutter: QWidget) -> None:
        painter = QPainter(gutter)
        palette = self.palette()
        painter.fillRect(gutter.rect(), palette.alternateBase())
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        width = gutter.width()
        while block.isValid() and top <= gutter.height():
            line = block.blockNumber() + 1
            bottom = top + round(self.blockBoundingRect(block).height())
            if line in self.marks.problems:
                marker, color = "⚠", QColor(self.theme.bad)
            elif line == self.marks.current:
                marker, color = "▶", palette.highlight().color()
            elif line in self.marks.others:
                marker, color = "●", palette.placeholderText().color()
            else:
                marker, color = "", palette.placeholderText().color()
            painter.setPen(palette.placeholderText().color())
            painter.drawText(0, top, width - height - 4, height,
                             Qt.AlignmentFlag.AlignRight, str(line))
            if marker:
                painter.setPen(color)
                painter.drawText(width - height - 2, top, height, height,
                                 Qt.AlignmentFlag.AlignCenter, marker)
            block = block.next()
            top = bottom
        painter.end()
