"""The synchronous fast path: awaiting a coroutine that has its answer at hand does not
suspend anything. Wrapping each call in a task does: every cache hit then costs a task and a
trip through the event loop. Eager tasks (Python 3.12+) take that trip away."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from loopviz.demos.base import FIXED, PITFALL, Demo, Param, Question
from loopviz.demos.evidence import tasks_running
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration


def keys_for(lookups: int) -> list[str]:
    """The keys asked for, in order: a few distinct ones, most asked again (cache hits)."""
    return [("a", "b", "a", "c")[i % 4] for i in range(lookups)]


async def lookup(cache: dict[str, str], key: str, fetch: float) -> str:
    if key in cache:
        return cache[key]  # fast path: the answer is here, nothing to wait for
    await asyncio.sleep(fetch)  # slow path: go to the database
    cache[key] = f"value of {key}"
    return cache[key]


@contextlib.contextmanager
def eager_tasks() -> Iterator[None]:
    """Python 3.12+: new tasks run their first step inside create_task (eager_start), on top
    of the loop's current task factory (here loopviz's, so they stay visible)."""
    loop = asyncio.get_running_loop()
    base = loop.get_task_factory()

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kw: Any) -> asyncio.Future[Any]:
        # eager_start is 3.12+ (typeshed's 3.11 Task and factory signature lack it).
        if base is None:
            return asyncio.Task(coro, loop=loop, eager_start=True, **kw)  # type: ignore[call-arg]
        return base(loop, coro, eager_start=True, **kw)  # type: ignore[call-arg]

    loop.set_task_factory(factory)
    try:
        yield
    finally:
        loop.set_task_factory(base)


async def main(variant: str, lookups: int = 8, fetch: float = 0.25, eager: int = 0) -> list[str]:
    cache: dict[str, str] = {}
    values = []
    use_eager = variant == PITFALL and eager and sys.version_info >= (3, 12)
    with eager_tasks() if use_eager else contextlib.nullcontext():
        for n, key in enumerate(keys_for(lookups), 1):
            if variant == PITFALL:
                # A task per call: even a cache hit is scheduled, and main waits for it.
                values.append(await asyncio.create_task(lookup(cache, key, fetch),
                                                        name=f"lookup-{n}-{key}"))
            else:
                # Await the coroutine itself: a hit returns within this very step.
                values.append(await lookup(cache, key, fetch))
    return values


def _expected(lookups: int) -> tuple[int, int]:
    keys = keys_for(lookups)
    misses = len(set(keys))
    return len(keys) - misses, misses


def _eager_ran(trace: Trace, eager: int) -> bool:
    major, minor = (int(x) for x in str(trace.meta.get("python", "3.11")).split(".")[:2])
    return bool(eager) and (major, minor) >= (3, 12)


def check(trace: Trace, variant: str, lookups: int = 8, fetch: float = 0.25,
          eager: int = 0) -> list[Finding]:
    hits, misses = _expected(lookups)
    (main_task,) = trace.tasks_named("main")
    main_waits = [w for w in trace.waits_of(main_task.id) if w.end_ns is not None]
    out: list[Finding] = []
    if variant == FIXED:
        sleeps = [w for w in main_waits if w.kind == "sleep"]
        out.append(Finding(
            f"{lookups} lookups awaited directly: main suspended {len(main_waits)} times, once "
            f"per miss ({misses}); the {hits} hits returned inside main's steps",
            ok=len(main_waits) == misses == len(sleeps), data={"main_waits": len(main_waits)}))
        return out
    tasks = tasks_running(trace, "lookup")
    one_step = [t for t in tasks if len(trace.steps_of(t.id)) == 1 and not trace.waits_of(t.id)]
    waited = [t for t in tasks if len(trace.waits_of(t.id)) == 1]
    miss_waits = [w.end_ns - w.start_ns for t in waited for w in trace.waits_of(t.id)
                  if w.end_ns is not None]
    trips = [w.end_ns - w.start_ns for w in main_waits if w.end_ns is not None
             and w.kind == "task" and any(trace.task(x) in one_step for x in w.targets)]
    data: dict[str, float] = {"tasks": len(tasks), "hits": len(one_step), "misses": len(waited),
            "main_waits": len(main_waits)}
    out.append(Finding(
        f"{len(tasks)} lookup tasks: {len(one_step)} hits ran 1 step with no wait, "
        f"{len(waited)} misses waited {duration(min(miss_waits, default=0))}"
        f"–{duration(max(miss_waits, default=0))}",
        ok=len(tasks) == lookups and len(one_step) == hits and len(waited) == misses, data=data))
    if _eager_ran(trace, eager):
        out.append(Finding(
            f"eager tasks: the hits finished inside create_task, so main suspended only "
            f"{len(main_waits)} times (once per miss)", ok=len(main_waits) == misses))
        return out
    out.append(Finding(
        f"yet main suspended {len(main_waits)} times: each of the {len(trips)} hits still cost "
        f"a trip through the loop ({max(trips, default=0) / 1e3:.0f} µs at most)",
        ok=len(main_waits) == lookups and len(trips) == hits))
    if eager:
        out.append(Finding(
            f"eager tasks need Python 3.12+; this run used {trace.meta.get('python', '?')}, so "
            f"the lookups ran as ordinary tasks (set eager to 0 to hide this note)"))
    return out


def _suspensions_answer(trace: Trace, variant: str, lookups: int = 8, **params: float) -> int:
    (main_task,) = trace.tasks_named("main")
    n = len(trace.waits_of(main_task.id))
    return 0 if n == _expected(lookups)[1] else 1 if n == lookups else 2


DEMO = Demo(
    id="fast-path",
    title="The synchronous fast path",
    category="Composition",
    summary="Awaiting a result that is already there does not suspend; a task per call does.",
    explanation=(
        "main looks up keys in a small cache; a miss waits for the 'database', a hit returns "
        "at once. Awaiting the coroutine directly (fixed), main's lane is suspended only at "
        "the misses: an await on a coroutine that returns without waiting never gives up the "
        "thread. Wrapping every lookup in a task (pitfall) makes each hit a separate one-step "
        "task that must be scheduled: main's lane shows a tiny wait for every lookup. On "
        "Python 3.12+ set eager to 1: eager tasks run their first step inside create_task, so "
        "the hits finish before main ever waits (on 3.11 the run says so and uses plain tasks)."
    ),
    csharp=(
        "C#: return a ValueTask<T> so that a cache hit completes synchronously without "
        "allocating a Task. Python needs no special type: 'await coro()' runs the coroutine "
        "inline, and if it returns without suspending, so does the await. The cost appears "
        "when you create a Task (create_task, gather) for work that is usually done already; "
        "asyncio.eager_task_factory (3.12+) is Python's answer for that case."
    ),
    main=main,
    check=check,
    params=(Param("lookups", "lookups", 8, 4, 16),
            Param("fetch", "database fetch", 0.25, 0.05, 0.5, 0.05, "s"),
            Param("eager", "eager tasks (3.12+)", 0, 0, 1)),
    question=Question(
        "How many times will main be suspended?",
        ("once per cache miss", "once per lookup", "something else"),
        _suspensions_answer,
    ),
)
