"""A missing ``await``: calling a coroutine function only creates a coroutine object.

Nothing runs until someone awaits it (or wraps it in a task). Without the ``await`` the work
silently never happens; Python only warns, later, that the coroutine was never awaited.
"""

from __future__ import annotations

import asyncio

from loopviz.demos import evidence as ev
from loopviz.demos.base import PITFALL, Demo
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration


async def save_draft(text: str) -> int:
    await asyncio.sleep(0.2)  # writing to disk, say
    return len(text)


async def main(variant: str) -> str:
    await asyncio.sleep(0.1)
    if variant == PITFALL:
        save_draft("Dear Ada, ...")  # missing await: a coroutine object is made and dropped
    else:
        await save_draft("Dear Ada, ...")  # the draft is really saved
    await asyncio.sleep(0.3)
    return "done"


# ---- what the run proved ------------------------------------------------------------------
def check(trace: Trace, variant: str) -> list[Finding]:
    call_file, call_line = ev.source_line(main, "save_draft(\"")
    work_file, work_line = ev.source_line(save_draft, "asyncio.sleep(")
    out = []
    never = [d for d in trace.diagnostics_of("never-awaited") if "save_draft" in d.message]
    if variant == PITFALL:
        out.append(ev.diagnostic_finding(never, "never-awaited", call_file, call_line,
                                         "never_awaited"))
    else:
        out.append(Finding(f"{len(never)} never-awaited diagnostics", ok=not never))
    # Did save_draft's body ever run? Its suspension line shows up in a wait only if it did.
    ran = [w for w in trace.waits if ev.same_file(w.file, work_file) and w.line == work_line]
    tasks = ev.tasks_running(trace, "save_draft")
    waited = sum((w.end_ns or w.start_ns) - w.start_ns for w in ran)
    what = ": the draft was never saved" if not ran else f", waiting {duration(waited)}"
    out.append(Finding(
        f"save_draft's body ran {len(ran)} time(s) ({len(tasks)} task(s) of its own){what}",
        ok=(not ran and not tasks) if variant == PITFALL else len(ran) == 1,
        data={"ran": len(ran), "tasks": len(tasks)}))
    return out


DEMO = Demo(
    id="missing-await",
    title="The missing await",
    category="Pitfalls",
    summary="Call a coroutine function without await and its work never runs.",
    explanation=(
        "In the pitfall, main calls save_draft(...) without await. The timeline shows main's "
        "two sleeps and nothing else: no task, no step, no wait for save_draft. When the "
        "orphaned coroutine object is collected, a never-awaited diagnostic points at the "
        "exact line of the call. The fixed variant awaits it: main's lane shows a wait of "
        "0.2 s at save_draft's sleep."
    ),
    csharp=(
        "C#: calling an async method without await still starts it (a hot Task runs until "
        "its first await); the compiler warns (CS4014) and exceptions are lost. Python: "
        "coroutines are cold, so without await nothing runs at all; only a RuntimeWarning "
        "'coroutine ... was never awaited' tells you, when the object is collected. asyncio's "
        "debug mode and loopviz name the line that created it."
    ),
    main=main,
    check=check,
)
