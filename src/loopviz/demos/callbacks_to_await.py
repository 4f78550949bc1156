"""The same three-stage job (download, parse, save) written three ways, as asynchronous code
was written over the years: chained callbacks, futures with done-callbacks, async/await.
The first two never create a task: their work runs as plain callbacks on the loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from loopviz.demos.base import DEFAULT, Demo, Param
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration


# ---- 1. callbacks: each stage schedules the next one (APM, continuation-passing) ----------
def with_callbacks(stage: float, done: Callable[[str], None]) -> None:
    loop = asyncio.get_running_loop()

    def downloaded() -> None:
        loop.call_later(stage, parsed, "page")  # the next stage is nested in this one

    def parsed(page: str) -> None:
        loop.call_later(stage, saved, f"{page} parsed")

    def saved(result: str) -> None:
        done(f"{result}, saved")  # the result has to be handed on: there is no return

    loop.call_later(stage, downloaded)


# ---- 2. futures with done-callbacks: a result object to hang the next stage on (EAP) -------
def with_futures(stage: float, done: Callable[[str], None]) -> None:
    loop = asyncio.get_running_loop()

    def later(value: str) -> asyncio.Future[str]:  # an old-style API: returns a future
        fut = loop.create_future()
        loop.call_later(stage, fut.set_result, value)
        return fut

    def on_downloaded(fut: asyncio.Future[str]) -> None:
        later(f"{fut.result()} parsed").add_done_callback(on_parsed)

    def on_parsed(fut: asyncio.Future[str]) -> None:
        later(f"{fut.result()}, saved").add_done_callback(on_saved)

    def on_saved(fut: asyncio.Future[str]) -> None:
        done(fut.result())

    later("page").add_done_callback(on_downloaded)


# ---- 3. async/await: the same stages, read top to bottom (TAP) -----------------------------
async def with_await(stage: float) -> str:
    await asyncio.sleep(stage)  # download
    page = "page"
    await asyncio.sleep(stage)  # parse
    result = f"{page} parsed"
    await asyncio.sleep(stage)  # save
    return f"{result}, saved"


async def main(variant: str, stage: float = 0.2) -> list[str]:
    loop = asyncio.get_running_loop()
    results = []
    for style in (with_callbacks, with_futures):
        finished: asyncio.Future[str] = loop.create_future()
        style(stage, finished.set_result)  # start it; main waits for the final callback
        results.append(await finished)
    results.append(await asyncio.create_task(with_await(stage), name="with-await"))
    return results


def check(trace: Trace, variant: str, stage: float = 0.2) -> list[Finding]:
    out = []
    # main waited on one plain future per callback style: how long each whole job took.
    (main_task,) = trace.tasks_named("main")
    jobs = [w for w in trace.waits_of(main_task.id) if w.kind == "future"]
    for style, job in zip((with_callbacks, with_futures), jobs, strict=False):
        mine = [c for c in trace.callbacks if c.label.startswith(f"{style.__name__}.")]
        tasks = [t for t in trace.tasks if t.coro.startswith(style.__name__)]
        took = (job.ready_ns or job.start_ns) - job.start_ns
        out.append(Finding(
            f"{style.__name__}: the job took {duration(took)} as {len(mine)} plain loop callbacks "
            f"and {len(tasks)} tasks",
            ok=len(mine) == 3 and not tasks and len(jobs) == 2,
            data={"callbacks": len(mine), "took_s": took / 1e9}))
    (task,) = trace.tasks_named("with-await")
    steps, waits = trace.steps_of(task.id), trace.waits_of(task.id)
    lifetime = trace.lifetime(task.id)
    out.append(Finding(
        f"with_await: the job took {duration(lifetime[1] - lifetime[0])} as one task, "
        f"{len(steps)} steps around {len(waits)} waits, no callbacks of its own",
        ok=len(steps) == 4 and len(waits) == 3
        and not [c for c in trace.callbacks if c.label.startswith("with_await")]))
    return out


DEMO = Demo(
    id="callbacks-to-await",
    title="From callbacks to await",
    category="History",
    summary="The same job as chained callbacks, futures with callbacks, and async/await.",
    explanation=(
        "A download, parse, save job runs three times, one style after the other, each stage "
        "taking the same time. First as callbacks that schedule the next callback: no task "
        "exists, the work appears only as short plain callbacks on the loop lane, and the "
        "result must be handed on because a callback cannot return it. Then as futures with "
        "done-callbacks: still callbacks on the loop lane, but each stage now has a result "
        "object. Finally with async/await: one task, whose lane shows the three waits and four "
        "steps, in code that reads top to bottom with ordinary variables and try/except. The "
        "loop runs all three the same way: await is the callbacks, written for you."
    ),
    csharp=(
        "C#: APM (BeginRead/EndRead with an AsyncCallback), EAP (XxxAsync plus an XxxCompleted "
        "event), then TAP (Task and async/await). Python went from loop.call_later chains and "
        "callback libraries, to Futures with add_done_callback (and Twisted's Deferreds), to "
        "async/await on top of those same futures: a Task is a future whose done-callbacks "
        "resume a coroutine."
    ),
    main=main,
    check=check,
    variants=(DEFAULT,),
    params=(Param("stage", "time per stage", 0.2, 0.05, 0.5, 0.05, "s"),),
)
