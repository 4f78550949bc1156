"""Sequential vs concurrent: awaiting one fetch after another adds up the waits; gathering the
tasks lets the waits overlap, so the total is the longest wait, not the sum."""

from __future__ import annotations

import asyncio

from loopviz.demos.base import PITFALL, Demo, Param, Question
from loopviz.trace import Finding, Trace
from loopviz.trace.model import max_overlap


async def fetch(item: int, delay: float) -> str:
    # Stands in for a network call: the task waits and the loop is free meanwhile.
    await asyncio.sleep(delay)
    return f"item {item}"


async def main(variant: str, fetches: int = 3, delay: float = 1.0) -> list[str]:
    if variant == PITFALL:
        # One after another: each await finishes before the next fetch even starts.
        results = []
        for item in range(1, fetches + 1):
            results.append(await fetch(item, delay))
        return results
    # All at once: start every fetch as a task, then wait for all of them together.
    tasks = [asyncio.create_task(fetch(item, delay), name=f"fetch-{item}")
             for item in range(1, fetches + 1)]
    return await asyncio.gather(*tasks)


def _timing(trace: Trace) -> tuple[int, int]:
    """(main's lifetime, the most sleep waits in flight at one instant)."""
    (main_task,) = trace.tasks_named("main")
    start, end = trace.lifetime(main_task.id)
    sleeps = [(w.start_ns, w.end_ns if w.end_ns is not None else trace.duration_ns)
              for w in trace.waits if w.kind == "sleep"]
    return end - start, max_overlap(sleeps)


def check(trace: Trace, variant: str, fetches: int = 3, delay: float = 1.0) -> list[Finding]:
    total_ns, overlapping = _timing(trace)
    total, one = total_ns / 1e9, delay
    ratio = fetches * one / total if total else 0.0
    data = {"total_s": total, "overlapping_waits": overlapping, "speedup": ratio}
    if variant == PITFALL:
        return [Finding(
            f"sequential: {total:.2f} s for {fetches} fetches of {one:g} s "
            f"(≈ {total / one:.1f} × one fetch); at most {overlapping} wait at a time",
            ok=overlapping == 1 and total >= 0.95 * fetches * one, data=data)]
    sleeps = [w for w in trace.waits if w.kind == "sleep"]
    shared = (min(w.end_ns or trace.duration_ns for w in sleeps)
              - max(w.start_ns for w in sleeps)) if sleeps else 0
    data["overlap_s"] = shared / 1e9
    return [Finding(
        f"gather: {total:.2f} s for {fetches} fetches of {one:g} s ({ratio:.1f}× faster than "
        f"one after another); {overlapping} waits overlapped for {shared / 1e9:.2f} s",
        ok=overlapping == fetches and total < (fetches * one + one) / 2, data=data)]


def _answer(trace: Trace, variant: str, fetches: int = 3, delay: float = 1.0) -> int:
    total_ns, _ = _timing(trace)
    waits = total_ns / 1e9 / delay  # the total measured in "one fetch" units
    return 0 if abs(waits - 1) < abs(waits - fetches) else 1


DEMO = Demo(
    id="sequential-vs-gather",
    title="One by one, or all at once",
    category="Composition",
    summary="Awaiting fetches one by one adds their waits; gather overlaps them.",
    explanation=(
        "Both variants fetch the same items, each taking one delay. The pitfall awaits each "
        "fetch before starting the next: on the timeline main's lane shows the sleeps end to "
        "end, and the total is fetches × delay. The fixed variant creates one task per fetch "
        "and awaits asyncio.gather: the fetch lanes wait side by side, main waits once on all "
        "of them, and the total is about one delay. asyncio.TaskGroup gives the same overlap "
        "with structured error handling (see 'gather-errors')."
    ),
    csharp=(
        "C#: 'await a; await b; await c;' vs 'await Task.WhenAll(a, b, c)'. In C# a Task "
        "starts running when it is created, so starting all three before awaiting is enough. "
        "In Python a bare coroutine does nothing until awaited: you must wrap each one in a "
        "task (create_task, gather, TaskGroup) for it to run concurrently."
    ),
    main=main,
    check=check,
    params=(Param("fetches", "fetches", 3, 2, 6),
            Param("delay", "delay per fetch", 1.0, 0.1, 1.5, 0.1, "s")),
    question=Question(
        "Each fetch takes one delay. How long does the whole run take?",
        ("about one delay", "about fetches × delay"),
        _answer,
    ),
)
