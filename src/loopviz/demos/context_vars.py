"""Context variables: a value per request that follows the request into its child tasks.

A module-level global is shared by every task: concurrent requests overwrite each other's
value at every await. A ``ContextVar`` is copied into each task when it is created, so each
request (and its children) sees its own value, and a child's change stays in the child.
"""

from __future__ import annotations

import asyncio
import string
from contextvars import ContextVar

from loopviz.demos.base import FIXED, PITFALL, Demo, Param, Question
from loopviz.trace import Finding, TaskInfo, Trace

request_id: ContextVar[str] = ContextVar("request_id", default="-")
current_request = "-"  # the pitfall: one global shared by every task


def set_request(variant: str, value: str) -> None:
    global current_request
    if variant == PITFALL:
        current_request = value
    else:
        request_id.set(value)


def get_request(variant: str) -> str:
    return request_id.get() if variant == FIXED else current_request


def log(value: str) -> asyncio.Task:
    # Make the value visible on the timeline: a tiny task named after what we read.
    return asyncio.create_task(asyncio.sleep(0), name=f"sees {value}")


async def audit(variant: str) -> None:
    await log(get_request(variant))  # inherited from the request that started us
    set_request(variant, get_request(variant) + "/audit")  # change it, in here only
    await log(get_request(variant))


async def handle(variant: str, name: str, delay: float) -> None:
    set_request(variant, name)  # at the start of the request
    await asyncio.sleep(delay)  # other requests run meanwhile
    await log(get_request(variant))  # still ours?
    await asyncio.create_task(audit(variant), name=f"audit-{name}")
    await log(get_request(variant))  # after the child changed its value: still ours?


async def main(variant: str, requests: int = 3, delay: float = 0.3) -> None:
    async with asyncio.TaskGroup() as tg:
        for i, name in enumerate(string.ascii_uppercase[:requests]):
            tg.create_task(handle(variant, name, delay + 0.1 * i), name=f"request-{name}")


def _reads(trace: Trace, parent: TaskInfo) -> list[str]:
    """What ``parent`` read, in order: the names of its 'sees ...' child tasks."""
    return [t.name.removeprefix("sees ") for t in trace.children(parent.id)
            if t.name.startswith("sees ")]


def _measure(trace: Trace) -> dict[str, float]:
    """Compare what each task read with whose task it is, all from the recorded tasks."""
    own = wrong = inherited = leaked = children = 0
    for req in trace.tasks_named("request-"):
        mine = req.name.removeprefix("request-")
        reads = _reads(trace, req)
        own += sum(1 for r in reads if r == mine)
        wrong += sum(1 for r in reads if r != mine)
        audit = next((t for t in trace.children(req.id) if t.name.startswith("audit-")), None)
        if audit is None:
            continue
        children += 1
        child_reads = _reads(trace, audit)
        inherited += bool(child_reads) and child_reads[0] == mine
        # The parent's reads created after the child ended show whether its change leaked.
        after = [t.name.removeprefix("sees ") for t in trace.children(req.id)
                 if t.name.startswith("sees ") and audit.ended_ns is not None
                 and t.created_ns >= audit.ended_ns]
        leaked += any(r.endswith("/audit") for r in after)
    return {"requests": len(trace.tasks_named("request-")), "own": own, "wrong": wrong,
            "children": children, "inherited": inherited, "leaked": leaked}


def check(trace: Trace, variant: str, requests: int = 3, delay: float = 0.3) -> list[Finding]:
    m = _measure(trace)
    reads = int(m["own"] + m["wrong"])
    n, kids = int(m["requests"]), int(m["children"])
    examples = [f"{t.name} read {', '.join(_reads(trace, t))}"
                for t in trace.tasks_named("request-")]
    if variant == PITFALL:
        return [
            Finding(f"global: {int(m['wrong'])} of {reads} reads by {n} requests saw another "
                    f"request's value ({'; '.join(examples)})", ok=m["wrong"] > 0, data=m),
            Finding(f"a child's change leaked into its parent in {int(m['leaked'])} of "
                    f"{kids} requests", ok=m["leaked"] > 0, data=m),
        ]
    return [
        Finding(f"ContextVar: {int(m['own'])} of {reads} reads by {n} requests saw their own "
                f"value ({'; '.join(examples)})",
                ok=n == requests and m["wrong"] == 0 and reads == 2 * n, data=m),
        Finding(f"{int(m['inherited'])} of {kids} child tasks inherited their request's value; "
                f"their change leaked back into the parent in {int(m['leaked'])}",
                ok=kids == n and m["inherited"] == kids and m["leaked"] == 0, data=m),
    ]


def _answer(trace: Trace, variant: str, **params: float) -> int:
    return 0 if _measure(trace)["wrong"] == 0 else 1


DEMO = Demo(
    id="context-vars",
    title="Context variables",
    category="Control",
    summary="A ContextVar gives each task (and its children) its own value; a global is "
            "shared by all of them.",
    explanation=(
        "Three requests, A, B and C, each store their id at the start, wait a little (so they "
        "overlap), then read it back, start an 'audit' child task that reads it and changes "
        "its own copy, and read it once more. Every read creates a tiny task named 'sees "
        "<value>' under the task that read it, so the values are on the timeline. Pitfall: "
        "a module global: by the time A reads, C has overwritten it, so request-A 'sees C', "
        "and the child's '/audit' change leaks back to the parent. Fixed: a ContextVar: "
        "create_task copies the current context into the new task, so each request sees "
        "its own id, the child inherits it, and the child's set() changes only its copy."
    ),
    csharp=(
        "C#: AsyncLocal<T> flows with the ExecutionContext into awaited calls and Task.Run; "
        "values set in a child flow down, never back up. Python: contextvars.ContextVar, "
        "with the same copy-on-create rule: each Task runs in a copy of the context current "
        "when it was created (create_task(context=...) picks another one), and "
        "asyncio.to_thread copies it into the worker thread. loop.run_in_executor does not: "
        "there, wrap the call with contextvars.copy_context().run. A plain global or a "
        "threading.local is shared by every task on the loop thread."
    ),
    main=main,
    check=check,
    variants=(PITFALL, FIXED),
    params=(Param("requests", "requests", 3, 2, 6),
            Param("delay", "first delay", 0.3, 0.1, 1.0, 0.1, "s")),
    question=Question(
        "Three overlapping requests each store their id, then await, then read it back. "
        "What does request A read?",
        ("its own id, A", "the id of the last request that stored one"),
        _answer,
    ),
)
