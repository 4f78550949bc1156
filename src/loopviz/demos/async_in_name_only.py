"""``async def`` is not a thread: a coroutine that never awaits runs start to end in one step.

Marking CPU work ``async`` changes nothing about where it runs: the loop thread executes it,
and nothing else on the loop (the spinner, the UI) runs until it returns.
"""

from __future__ import annotations

import asyncio
import time

from loopviz.demos import evidence as ev
from loopviz.demos.base import PITFALL, Demo, Param, Question
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration


def crunch(seconds: float) -> int:
    # CPU work, a stand-in for parsing or resizing: mix numbers until `seconds` have passed.
    n, deadline = 1, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for i in range(1000):
            n = (n * 31 + i) % 1_000_003
    return n


async def checksum_in_name_only(work: float) -> int:
    return crunch(work)  # async in name only: there is no await, so no suspension point


async def checksum_cooperative(work: float, slice_s: float = 0.01) -> int:
    n = 0
    for _ in range(max(1, round(work / slice_s))):
        n ^= crunch(slice_s)
        await asyncio.sleep(0)  # a checkpoint: give the loop back between slices
    return n


async def spinner(stop: asyncio.Event) -> int:
    ticks = 0
    while not stop.is_set():
        await asyncio.sleep(0.05)
        ticks += 1
    return ticks


async def main(variant: str, work: float = 0.8) -> int:
    stop = asyncio.Event()
    spin = asyncio.create_task(spinner(stop), name="spinner")
    await asyncio.sleep(0.3)
    checksum = checksum_in_name_only if variant == PITFALL else checksum_cooperative
    result = await asyncio.create_task(checksum(work), name="checksum")
    await asyncio.sleep(0.2)
    stop.set()
    await spin
    return result


# ---- what the run proved ------------------------------------------------------------------
def check(trace: Trace, variant: str, work: float = 0.8) -> list[Finding]:
    work_ns = work * 1e9
    out = []
    task = ev.first_task(trace, "checksum")
    if task is None:
        return [Finding("no checksum task was recorded", ok=False)]
    steps, waits = trace.steps_of(task.id), trace.waits_of(task.id)
    longest = ev.longest_step(steps)
    longest_ns = (longest.end_ns - longest.start_ns) if longest else 0
    out.append(Finding(
        f"checksum ran in {len(steps)} step(s) with {len(waits)} suspension(s); "
        f"its longest step held the loop {duration(longest_ns)}",
        ok=(len(steps) == 1 and not waits and longest_ns >= 0.8 * work_ns) if variant == PITFALL
        else (len(steps) >= 10 and longest_ns < 0.25 * work_ns),
        data={"steps": len(steps), "waits": len(waits), "longest_step_s": longest_ns / 1e9,
              **(ev.block_during(trace, longest.start_ns, longest.end_ns) if longest else {})}))
    spin = ev.first_task(trace, "spinner")
    late = ev.timer_lateness(trace.waits_of(spin.id)) if spin else []
    worst = max(late, default=0)
    out.append(Finding(
        f"the spinner's timers fired up to {duration(worst)} late"
        + (" (frozen while checksum ran)" if worst >= 0.5 * work_ns else ""),
        ok=(worst >= 0.5 * work_ns) == (variant == PITFALL),
        data={"worst_late_s": worst / 1e9}))
    return out


def _answer(trace: Trace, variant: str, work: float = 0.8) -> int:
    task = ev.first_task(trace, "checksum")
    return 1 if task is not None and len(trace.steps_of(task.id)) == 1 else 0


DEMO = Demo(
    id="async-in-name-only",
    title="Async in name only",
    category="Pitfalls",
    summary="async def without an await is still synchronous: it holds the loop until it ends.",
    explanation=(
        "checksum is an async function that never awaits. In the pitfall its lane shows a "
        "single running step as long as the whole computation, no waiting at all, and the "
        "spinner above it stops: its sleeps turn 'ready' but nothing runs them. The fixed "
        "variant does the same work in 10 ms slices with 'await asyncio.sleep(0)' between "
        "them: dozens of short steps interleave with the spinner's ticks. (For heavy CPU work, "
        "moving it off the loop is better still: see 'Offloading CPU work'.)"
    ),
    csharp=(
        "C#: an async method with no await runs synchronously (the compiler warns, CS1998) and "
        "only adds a state machine; return Task.FromResult if an interface demands a Task. "
        "Python: the same, and nothing warns you. A coroutine runs on the loop's thread until "
        "its first real suspension, so 'async def' alone never makes work concurrent."
    ),
    main=main,
    check=check,
    params=(Param("work", "CPU work", 0.8, 0.2, 2.0, 0.1, "s"),),
    question=Question(
        "checksum is declared async. Will the spinner keep ticking while it computes?",
        ("Yes, async code runs in the background", "No, it runs to the end in one step"),
        _answer),
)
