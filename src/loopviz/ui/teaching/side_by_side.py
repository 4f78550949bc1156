"""Side by side: two runs (pitfall and fixed of a demo, or two demos) stacked on one time axis,
with their totals ("sequential 3.01 s vs gather 1.00 s").

The runs happen one after the other on the UI thread's loop, each in its own
:class:`~loopviz.session.Session` (so neither disturbs the other's timing); each gets its own
TimelineView, x-linked so a zoom or pan moves both and equal times line up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from loopviz.session import RunResult, Target, new_session
from loopviz.ui.timeline.view import TimelineView

NAME_MAX = 24


def short_name(result: RunResult) -> str:
    """What to call a run in the totals line: the word its demo's first finding leads with
    ("sequential: ..."), else its variant, else its target."""
    if result.findings:
        head, sep, _ = result.findings[0].text.partition(":")
        if sep and 0 < len(head) <= NAME_MAX and " " not in head.strip():
            return head.strip()
    return result.target.variant or result.target.id


def run_total_ns(result: RunResult) -> int:
    return result.trace.duration_ns


def totals_line(results: Sequence[RunResult]) -> str:
    """"sequential 3.01 s vs gather 1.00 s" (names made unique with the target when equal)."""
    names = [short_name(r) for r in results]
    if len(set(names)) < len(names):
        names = [f"{r.target.id} {n}" for r, n in zip(results, names, strict=True)]
    return " vs ".join(f"{n} {run_total_ns(r) / 1e9:.2f} s"
                       for n, r in zip(names, results, strict=True))


async def run_one_after_another(targets: Sequence[Target], *, timeout: float | None = 60.0,
                                on_result: object = None) -> list[RunResult]:
    """Run each target in its own Session, in order; ``on_result(i, result)`` after each."""
    results = []
    for i, target in enumerate(targets):
        session = new_session(target, timeout=timeout)
        result = await session.run()
        results.append(result)
        if callable(on_result):
            on_result(i, result)
    return results


class SideBySideView(QWidget):
    """Invariant: ``results[i]`` is drawn by ``timelines[i]``; all timelines share x."""

    finished = Signal(object)  # list[RunResult]

    def __init__(self, parent: QWidget | None = None, *, scale: float = 1.0) -> None:
        super().__init__(parent)
        self.setObjectName("side-by-side")
        self.setWindowTitle("loopviz — side by side")
        self.results: list[RunResult] = []
        self.timelines: list[TimelineView] = []
        self.labels: list[QLabel] = []
        self.task: asyncio.Task[list[RunResult]] | None = None
        self.totals = QLabel("")
        font = QFont(self.totals.font())
        font.setPointSizeF(16 * scale)
        font.setBold(True)
        self.totals.setFont(font)
        self.totals.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.totals)
        self.scale = scale

    def _ensure(self, n: int) -> None:
        while len(self.timelines) < n:
            label = QLabel("")
            font = QFont(label.font())
            font.setPointSizeF(12 * self.scale)
            font.setBold(True)
            label.setFont(font)
            view = TimelineView()
            view.set_presentation(self.scale > 1.0)
            view.follow_button.hide()  # finished runs: nothing live to follow
            if self.timelines:
                view.view_box.setXLink(self.timelines[0].view_box)
                self.timelines[-1].legend.hide()  # one legend, under the last timeline
            self._layout.addWidget(label)
            self._layout.addWidget(view, 1)
            self.labels.append(label)
            self.timelines.append(view)

    def start(self, loop: asyncio.AbstractEventLoop, targets: Sequence[Target], *,
              timeout: float | None = 60.0) -> asyncio.Task[list[RunResult]]:
        """Run ``targets`` one after another and draw each as it finishes."""
        self._ensure(len(targets))
        self.results = []
        for label, target in zip(self.labels, targets, strict=False):
            label.setText(f"{target.title} — {target.variant or ''}: waiting to run…")
        self.totals.setText("Running one after the other…")
        self.task = loop.create_task(run_one_after_another(
            targets, timeout=timeout, on_result=self._one_done), name="loopviz: side by side")
        return self.task

    def _one_done(self, i: int, result: RunResult) -> None:
        self.results.append(result)
        self.show_results(self.results)
        if len(self.results) == len(self.timelines):
            self.finished.emit(list(self.results))

    def show_results(self, results: Sequence[RunResult]) -> None:
        """Draw finished runs (also used to show runs made elsewhere)."""
        self._ensure(len(results))
        self.results = list(results)
        longest = max(run_total_ns(r) for r in results) / 1e9
        for label, view, result in zip(self.labels, self.timelines, results, strict=False):
            view.set_trace(result.trace)
            label.setText(f"{short_name(result)}  ·  {result.target.title} "
                          f"({result.target.variant})  ·  {run_total_ns(result) / 1e9:.2f} s")
        for view in self.timelines:  # room by lanes: a two-lane run needs no half the window
            self._layout.setStretchFactor(view, 2 + len(view.model.rows))
        span = max(longest, 1e-3)  # a margin before 0: its tick label is drawn whole
        self.timelines[0].view_box.setXRange(-0.015 * span, span * 1.03, padding=0)
        self.totals.setText(totals_line(results))
