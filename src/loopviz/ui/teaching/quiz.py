"""Predict, then run: the learner commits to an answer before Run; the run's trace decides.

:func:`grade` is pure: the right choice is ``Question.answer(trace, variant, **params)``,
computed from the recorded run like a demo's findings, never typed in. :class:`QuizPanel`
shows the question and choices, locks them while the run goes, and shows the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QButtonGroup, QLabel, QRadioButton, QVBoxLayout, QWidget

from loopviz.demos.base import Demo, Question
from loopviz.trace import Trace


@dataclass(frozen=True, slots=True)
class QuizResult:
    chosen: int | None
    answer: int
    correct: bool
    text: str


def grade(question: Question, chosen: int | None, trace: Trace, variant: str | None,
          params: dict[str, Any] | None = None) -> QuizResult:
    """Check ``chosen`` against what the run proved."""
    answer = int(question.answer(trace, variant, **(params or {})))
    right = question.choices[answer] if 0 <= answer < len(question.choices) else "?"
    if chosen is None:
        return QuizResult(None, answer, False, f"No prediction made. The run says: {right}.")
    if chosen == answer:
        return QuizResult(chosen, answer, True, f"Right: {right}.")
    return QuizResult(chosen, answer, False,
                      f"Not this time: you said “{question.choices[chosen]}”, "
                      f"the run says “{right}”.")


class QuizPanel(QWidget):
    """Invariant: ``question`` is the shown demo's question (None: the panel says so)."""

    answered = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("quiz")
        self.question: Question | None = None
        self.result: QuizResult | None = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        bold = QFont(self.title.font())
        bold.setBold(True)
        self.title.setFont(bold)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.group = QButtonGroup(self)
        self.group.idClicked.connect(self.answered.emit)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.title)
        self._choices = QVBoxLayout()
        self._layout.addLayout(self._choices)
        self._layout.addWidget(self.verdict)
        self._layout.addStretch(1)
        self.set_demo(None)

    def set_demo(self, demo: Demo | None) -> None:
        self.question = demo.question if demo is not None else None
        self.result = None
        for button in self.group.buttons():
            self.group.removeButton(button)
            button.deleteLater()
        if self.question is None:
            self.title.setText("This demo has no question. Pick one with a "
                               "“predict, then run” question (e.g. One by one, or all at once).")
            self.verdict.setText("")
            return
        self.title.setText(self.question.text)
        for i, choice in enumerate(self.question.choices):
            button = QRadioButton(f"&{i + 1}  {choice}")
            self.group.addButton(button, i)
            self._choices.addWidget(button)
        self.verdict.setText("Predict, then press Run.")

    def chosen(self) -> int | None:
        i = self.group.checkedId()
        return None if i < 0 else i

    def choose(self, index: int) -> None:
        button = self.group.button(index)
        if button is not None:
            button.setChecked(True)
            self.answered.emit(index)

    def set_locked(self, locked: bool) -> None:
        for button in self.group.buttons():
            button.setEnabled(not locked)

    def check(self, trace: Trace, variant: str | None,
              params: dict[str, Any] | None = None) -> QuizResult | None:
        """Grade the current choice against ``trace`` and show the verdict."""
        if self.question is None:
            return None
        self.result = grade(self.question, self.chosen(), trace, variant, params)
        mark = "✓" if self.result.correct else "✗"
        self.verdict.setText(f"{mark} {self.result.text}")
        self.set_locked(False)
        return self.result
