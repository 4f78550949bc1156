"""Small trace questions the *Control* demos share (not a demo: the registry never lists it).

The checks ask "where was this task suspended?" by code location rather than by typed-in line
numbers: a wait belongs to a function when its file:line falls inside that function's code.
Paths are compared by file name, so a trace saved on one machine checks the same on another.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from statistics import median
from typing import Any

from loopviz.trace import TaskInfo, Trace, Wait


def code_span(fn: Callable[..., Any]) -> tuple[str, int, int]:
    """(file name, first line, last line) of a function's code (methods: their function)."""
    code = getattr(fn, "__func__", fn).__code__
    lines = [line for _, _, line in code.co_lines() if line is not None]
    return os.path.basename(code.co_filename), code.co_firstlineno, max(lines,
                                                                        default=code.co_firstlineno)


def waits_in(trace: Trace, fn: Callable[..., Any], task_ids: Iterable[int] | None = None,
             kind: str | None = None) -> list[Wait]:
    """Waits suspended inside ``fn`` (innermost user frame), optionally of some tasks/kind,
    in start order."""
    name, first, last = code_span(fn)
    wanted = None if task_ids is None else set(task_ids)
    return [w for w in trace.waits
            if first <= w.line <= last and os.path.basename(w.file) == name
            and (wanted is None or w.task in wanted) and (kind is None or w.kind == kind)]


def task_called(trace: Trace, name: str) -> TaskInfo | None:
    """The first task with exactly this name (``tasks_named`` matches prefixes)."""
    return next((t for t in trace.tasks if t.name == name), None)


def ended(trace: Trace, task: TaskInfo) -> int:
    return task.ended_ns if task.ended_ns is not None else trace.duration_ns


def typical(values: list[int]) -> float:
    return float(median(values)) if values else 0.0
