"""A coroutine is a resumable frame: each ``await`` that suspends ends one *step*, and the
next step resumes on the very next line with every local variable where it was left.

One task, three awaits: four steps, three suspensions, each at its own line, in order.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import textwrap

from loopviz.demos.base import DEFAULT, Demo, Param, Question
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration


async def make_report(pause: float) -> str:
    # Step 1 runs from here to the first await; the frame keeps `lines` across suspensions.
    lines = ["report"]
    await asyncio.sleep(pause)  # suspension 1: "download the user"
    lines.append("user: ada")  # step 2 resumes here, `lines` intact
    await asyncio.sleep(pause)  # suspension 2: "download the orders"
    lines.append("orders: 3")  # step 3
    await asyncio.sleep(pause)  # suspension 3: "render"
    lines.append("total: 42")  # step 4, then return: the task is done
    return "\n".join(lines)


async def main(variant: str, pause: float = 0.5) -> str:
    return await asyncio.create_task(make_report(pause), name="make-report")


def await_lines(fn: object = make_report) -> list[int]:
    """The source lines of the ``await`` expressions in ``fn``, in order (read from its code,
    so the check and the code view agree with whatever the source says)."""
    source, first = inspect.getsourcelines(fn)  # type: ignore[arg-type]
    tree = ast.parse(textwrap.dedent("".join(source)))
    return sorted(first + node.lineno - 1 for node in ast.walk(tree)
                  if isinstance(node, ast.Await))


def check(trace: Trace, variant: str, pause: float = 0.5) -> list[Finding]:
    (task,) = trace.tasks_named("make-report")
    steps, waits = trace.steps_of(task.id), trace.waits_of(task.id)
    expected = await_lines()
    seen = [w.line for w in waits]
    in_order = seen == sorted(seen) and len(set(seen)) == len(seen)
    where = ", ".join(f"line {n}" for n in seen)
    lengths = [w.end_ns - w.start_ns for w in waits if w.end_ns is not None]
    return [
        Finding(f"make-report: {len(expected)} awaits → {len(steps)} steps and "
                f"{len(waits)} suspensions",
                ok=len(steps) == len(expected) + 1 and len(waits) == len(expected),
                data={"awaits": len(expected), "steps": len(steps), "waits": len(waits)}),
        Finding(f"suspended at {where}: each await its own line, in source order",
                ok=in_order and seen == expected, data={"lines": len(seen)}),
        Finding(f"the waits lasted {duration(min(lengths))}–{duration(max(lengths))}, the steps "
                f"{max(s.end_ns - s.start_ns for s in steps) / 1e6:.2f} ms at most: the task "
                f"held the thread only while running a step",
                ok=bool(lengths) and min(lengths) >= 0.9 * pause * 1e9),
    ]


def _steps_answer(trace: Trace, variant: str, pause: float = 0.5) -> int:
    (task,) = trace.tasks_named("make-report")
    return {1: 0, 3: 1, 4: 2}.get(len(trace.steps_of(task.id)), 3)


DEMO = Demo(
    id="state-machine",
    title="Each await is a suspension point",
    category="Basics",
    summary="A coroutine runs in steps: N awaits that suspend give N+1 steps, locals kept.",
    explanation=(
        "make_report awaits three times. Each await that has to wait ends a step: the "
        "coroutine's frame is parked (locals, the line it stopped at) and the loop thread is "
        "free. When the sleep is over the loop resumes the frame on the next line. On the "
        "timeline the make-report lane shows four short running slices separated by three "
        "waits; move the time cursor over each wait and the code view marks the await line "
        "it is parked on, in order, with `lines` growing between steps."
    ),
    csharp=(
        "C#: the compiler rewrites an async method into a state machine struct whose "
        "MoveNext() runs the code between two awaits; the locals become its fields. Python "
        "needs no rewrite: a coroutine is a suspendable frame, and each step is one "
        "coro.send() from the event loop (what loopviz times). Like C#'s fast path, an await "
        "on something already finished does not suspend (see 'fast-path')."
    ),
    main=main,
    check=check,
    variants=(DEFAULT,),
    params=(Param("pause", "pause per await", 0.5, 0.1, 1.0, 0.1, "s"),),
    question=Question(
        "make_report has three awaits. How many steps will its task run?",
        ("1: a coroutine runs in one go", "3: one per await", "4: one more than the awaits",
         "something else"),
        _steps_answer,
    ),
)
