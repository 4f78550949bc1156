"""What a demo is: the contract between the catalogue, the session, the views and the tests.

A demo is teaching code: ``main(variant, **params)`` returns the coroutine that runs (its
source is shown in the code view), and ``check(trace, variant, **params)`` states in sentences
with numbers what the recorded trace proved. Findings are computed from the trace, never typed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from loopviz.trace import Finding, Trace

MainFn = Callable[..., Coroutine[Any, Any, Any]]
CheckFn = Callable[..., list[Finding]]

PITFALL, FIXED, DEFAULT = "pitfall", "fixed", "default"


@dataclass(frozen=True, slots=True)
class Param:
    """A knob the UI shows as a control; ``main`` and ``check`` receive it by name."""

    name: str
    label: str
    default: float | int
    minimum: float | int
    maximum: float | int
    step: float | int = 1
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Question:
    """Predict-then-run: ``answer(trace, variant, **params)`` returns the index of the choice
    the run proved right (computed from the trace, like findings)."""

    text: str
    choices: tuple[str, ...]
    answer: Callable[..., int]


@dataclass(frozen=True)
class Demo:
    id: str
    title: str
    category: str
    summary: str  # the one-line lesson
    explanation: str  # what happens and what to look for on the timeline
    csharp: str  # the seed's C# counterpart and how Python differs
    main: MainFn
    check: CheckFn
    variants: tuple[str, ...] = (PITFALL, FIXED)
    params: tuple[Param, ...] = ()
    needs_widgets: bool = False  # uses real Qt widgets (needs a QApplication)
    min_python: tuple[int, int] = (3, 11)
    question: Question | None = None
    module: ModuleType | None = field(default=None, compare=False)

    @property
    def default_variant(self) -> str:
        return self.variants[0]

    def defaults(self) -> dict[str, float | int]:
        return {p.name: p.default for p in self.params}

    def source_file(self) -> str:
        return inspect.getsourcefile(self.main) or ""

    def make_main(self, variant: str | None = None, **params: Any) -> Coroutine[Any, Any, Any]:
        variant = variant or self.default_variant
        if variant not in self.variants:
            raise ValueError(f"demo {self.id!r} has no variant {variant!r} "
                             f"(choose from {', '.join(self.variants)})")
        return self.main(variant, **{**self.defaults(), **params})

    def findings(self, trace: Trace, variant: str | None = None, **params: Any) -> list[Finding]:
        return self.check(trace, variant or self.default_variant, **{**self.defaults(), **params})
