"""Don't over-async: a tiny pure function gains nothing from being a coroutine or a task.

Async pays off while waiting on something external. For a fast in-memory calculation every
coroutine and every task is pure overhead: objects to create, steps to schedule.
"""

from __future__ import annotations

import asyncio

from loopviz.demos import evidence as ev
from loopviz.demos.base import PITFALL, Demo, Param
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration


def add_tax(price: float) -> float:
    return round(price * 1.2, 2)


async def add_tax_async(price: float) -> float:  # nothing to wait for: async adds only cost
    return round(price * 1.2, 2)


async def price_list(variant: str, prices: list[float]) -> float:
    if variant == PITFALL:
        # One task per tiny calculation, all gathered: a task, a step and a callback each.
        return sum(await asyncio.gather(*(add_tax_async(p) for p in prices)))
    return sum(add_tax(p) for p in prices)  # plain calls: no task, no suspension


async def main(variant: str, calls: int = 500) -> float:
    prices = [1.0 + i % 100 for i in range(calls)]
    await asyncio.sleep(0.1)
    return await asyncio.create_task(price_list(variant, prices), name="price-list")


# ---- what the run proved ------------------------------------------------------------------
def check(trace: Trace, variant: str, calls: int = 500) -> list[Finding]:
    task = ev.first_task(trace, "price-list")
    if task is None:
        return [Finding("no price-list task was recorded", ok=False)]
    helpers = [t for t in ev.tasks_running(trace, "add_tax_async")]
    helper_steps = sum(len(trace.steps_of(t.id)) for t in helpers)
    total = ev.span(trace, task)
    per_call = total / max(1, calls)
    text = (f"{calls} prices in {duration(total)}, {per_call / 1e3:.1f} µs per call; "
            f"{len(helpers)} extra tasks ran {helper_steps} steps")
    ok = len(helpers) == calls if variant == PITFALL else not helpers
    return [Finding(text, ok=ok, data={"total_s": total / 1e9, "per_call_us": per_call / 1e3,
                                       "tasks": len(helpers), "steps": helper_steps})]


DEMO = Demo(
    id="over-async",
    title="Don't over-async",
    category="Pitfalls",
    summary="Async is for waiting; a tiny pure function made async only adds overhead.",
    explanation=(
        "price-list adds tax to a list of prices. The pitfall makes the one-line calculation "
        "a coroutine and gathers one task per price: the timeline fills with hundreds of tiny "
        "tasks and steps, and the finding measures the cost per call. The fixed variant calls "
        "a plain function: one short step, a fraction of a microsecond per call. (loopviz "
        "times every step, which adds to the pitfall's cost; without it the ratio is smaller "
        "but still large.)"
    ),
    csharp=(
        "C#: don't over-async; a pure in-memory calculation made async is slower, with more "
        "allocations and state-machine noise. Python: each coroutine is an object and each "
        "task a scheduled step on the loop, far more costly than a function call; keep "
        "computations synchronous and await only what really waits."
    ),
    main=main,
    check=check,
    params=(Param("calls", "prices", 500, 50, 2000, 50),),
)
