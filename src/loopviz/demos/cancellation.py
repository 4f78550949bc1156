"""Cooperative cancellation: ``task.cancel()`` asks; the task stops at its next ``await``.

Cancelling ``main`` (what the Cancel button does) cancels the whole tree below it: the
TaskGroup cancels its children, each one runs its ``finally`` cleanup, then ends *cancelled*.
A CPU loop with no ``await`` in it has nowhere to receive the request, so it runs to the end.
"""

from __future__ import annotations

import asyncio
import time

from loopviz.demos import evidence as ev
from loopviz.demos._control import ended, task_called, typical, waits_in
from loopviz.demos.base import FIXED, PITFALL, Demo, Param, Question
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration


def crunch(seconds: float) -> None:
    # Pure CPU work: no await inside, so nothing else (not even a cancel) can get in.
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def clean_up(seconds: float = 0.1) -> None:
    await asyncio.sleep(seconds)  # close files, connections...: runs after the cancellation


async def download(parts: int, part_s: float) -> None:
    try:
        for _ in range(parts):
            await asyncio.sleep(part_s)  # every await is a place a cancel can land
    finally:
        await clean_up()


async def analyse(variant: str, chunks: int, chunk_s: float) -> None:
    try:
        await asyncio.sleep(0.2)  # load the input
        for _ in range(chunks):
            crunch(chunk_s)
            if variant == FIXED:
                await asyncio.sleep(0)  # a checkpoint: a pending cancel() lands right here
        await asyncio.sleep(0.2)  # save the results
    finally:
        await clean_up()


async def press_cancel(after: float, target: asyncio.Task | None) -> None:
    # What the Cancel button does (Session.cancel): cancel the main task from outside.
    await asyncio.sleep(after)
    if target is not None:
        target.cancel("Cancel pressed")


async def main(variant: str, cancel_after: float = 0.6, chunks: int = 30,
               chunk_s: float = 0.04) -> None:
    button = None
    if cancel_after > 0:  # 0: nobody presses it for you; use the real Cancel button
        me = asyncio.current_task()
        button = asyncio.create_task(press_cancel(cancel_after, me), name="cancel-button")
    async with asyncio.TaskGroup() as tg:
        tg.create_task(download(10, 0.3), name="download-1")
        tg.create_task(download(15, 0.2), name="download-2")
        tg.create_task(analyse(variant, chunks, chunk_s), name="analyse")
    if button is not None:
        button.cancel()  # everything finished before Cancel was pressed


def _cancel_moments(trace: Trace) -> tuple[int, int] | None:
    """(requested, delivered) ns: when Cancel was due and when cancel() actually ran."""
    button = task_called(trace, "cancel-button")
    if button is not None:
        w = next((w for w in trace.waits_of(button.id) if w.kind == "sleep"), None)
        if w is not None and w.end_ns is not None:
            return (w.due_ns if w.due_ns is not None else w.start_ns), w.end_ns
    root = task_called(trace, "main")
    if root is None or root.outcome != "cancelled":
        return None
    # The real Cancel button: main's wait on its TaskGroup was cut short at the delivery.
    ends = [w.end_ns for w in trace.waits_of(root.id) if w.kind == "task" and w.end_ns is not None]
    return (ends[0], ends[0]) if ends else None


def _held(trace: Trace, requested: int) -> tuple[int, int, int, dict[str, int]]:
    """(how long analyse kept the thread past the request: the rest of the step it was in;
    its longest and its typical (median) step: one CPU chunk with checkpoints, the whole
    loop without; the UI block its longest step made, if any)."""
    task = task_called(trace, "analyse")
    if task is None:
        return 0, 0, 0, {}
    steps = trace.steps_of(task.id)
    running = [s for s in steps if s.start_ns <= requested < s.end_ns]
    lengths = sorted(s.end_ns - s.start_ns for s in steps if s.end_ns - s.start_ns > 1e6)
    longest = max(steps, key=lambda s: s.end_ns - s.start_ns, default=None)
    block = ev.block_during(trace, longest.start_ns, longest.end_ns) if longest else {}
    return ((running[0].end_ns - requested if running else 0), lengths[-1] if lengths else 0,
            int(typical(lengths)), block)


def _too_long(ns: int, chunk_s: float) -> bool:
    # More than a checkpointed loop could hold: one chunk, plus scheduling slack.
    return ns > 1.5 * chunk_s * 1e9 + 2e7


def check(trace: Trace, variant: str, cancel_after: float = 0.6, chunks: int = 30,
          chunk_s: float = 0.04) -> list[Finding]:
    moments = _cancel_moments(trace)
    if moments is None:
        return [Finding("not cancelled: press Cancel (Esc) while it runs, or set "
                        "'cancel after' above 0", ok=False)]
    requested, delivered = moments
    tree = [t for t in trace.tasks
            if t.name in ("main", "analyse") or t.name.startswith("download-")]
    workers = [t for t in tree if t.name != "main"]
    cancelled = [t for t in tree if t.outcome == "cancelled"]
    cleanups = waits_in(trace, clean_up, [t.id for t in workers])
    after = {w.task for w in cleanups
             if delivered <= w.start_ns <= ended(trace, trace.task(w.task))}
    held, longest, usual, block = _held(trace, requested)
    button = task_called(trace, "cancel-button") is not None
    out = [
        Finding(f"Cancel {'pressed' if button else 'reached main'} at {duration(requested)}, "
                f"cancel() ran at {duration(delivered)}; {len(cancelled)} of {len(tree)} tasks "
                f"in the tree ended cancelled",
                ok=len(cancelled) == len(tree) > 1,
                data={"requested_s": requested / 1e9, "delivered_s": delivered / 1e9,
                      "cancelled": len(cancelled), "tree": len(tree)}),
        Finding(f"{len(after)} of {len(workers)} tasks ran their finally cleanup after the "
                f"cancel, before ending",
                ok=len(after) == len(workers) > 0,
                data={"cleanups_after": len(after), "workers": len(workers)}),
    ]
    data = {"held_s": held / 1e9, "longest_step_s": longest / 1e9,
            "typical_step_s": usual / 1e9, "chunk_s": chunk_s}
    if variant == PITFALL:
        where = (f"it held the thread {duration(held)} past the Cancel press, so even cancel() "
                 f"had to wait" if button else "a Cancel click waits until it ends")
        out.append(Finding(
            f"analyse's CPU loop (no await) ran as one {duration(longest)} step: {where}",
            ok=_too_long(longest, chunk_s) and (not button or _too_long(held, chunk_s)),
            data={**data, **block}))
    else:
        out.append(Finding(
            f"analyse yielded at every checkpoint: its CPU steps took {duration(usual)} "
            f"(longest {duration(longest)}; one chunk is {duration(chunk_s * 1e9)}), so the cancel "
            f"got in within {duration(held)}",
            ok=not _too_long(usual, chunk_s), data=data))
    return out


def _answer(trace: Trace, variant: str, **params: float) -> int:
    moments = _cancel_moments(trace)
    _, _, usual, _ = _held(trace, moments[0] if moments else 0)
    return 1 if not _too_long(usual, float(params.get("chunk_s", 0.04))) else 2


DEMO = Demo(
    id="cancellation",
    title="Cancellation",
    category="Control",
    summary="cancel() is a request: tasks stop at their next await, run finally, end cancelled.",
    explanation=(
        "Two downloads and an analysis run in a TaskGroup under main; after 0.6 s the "
        "'cancel-button' task cancels main, exactly as the Cancel button does (set 'cancel "
        "after' to 0 and press Cancel yourself). main's TaskGroup passes the cancel on to its "
        "children: at their current await they get CancelledError, run their finally block "
        "(the short 'clean_up' sleep after the cancel on each lane), and end cancelled. "
        "Pitfall: analyse crunches numbers in a loop with no await: it is one long step, the "
        "loop cannot run anything else, so the Cancel press itself waits until the loop is "
        "done. Fixed: an 'await asyncio.sleep(0)' after each chunk is a checkpoint; the lane "
        "becomes many short steps and the cancel lands within a chunk. Each hop of the cancel "
        "(timer, cancel(), main, TaskGroup) still queues behind one chunk: keep chunks short."
    ),
    csharp=(
        "C#: a CancellationToken is passed down explicitly, and CPU loops call "
        "ct.ThrowIfCancellationRequested() as their checkpoint; a CancellationTokenSource "
        "cancels. Python has no token: task.cancel() throws CancelledError into the task at "
        "its current await, and cancelling a task cancels what it awaits (children of a "
        "TaskGroup or gather, the task it awaits). Cleanup goes in finally or 'async with'. "
        "CancelledError is a BaseException, so 'except Exception' does not swallow it; if you "
        "catch it, re-raise it. await asyncio.sleep(0) is the checkpoint (it also lets other "
        "tasks run, since all of them share the one thread)."
    ),
    main=main,
    check=check,
    variants=(PITFALL, FIXED),
    params=(Param("cancel_after", "cancel after", 0.6, 0.0, 2.0, 0.1, "s"),
            Param("chunks", "CPU chunks", 30, 5, 60),
            Param("chunk_s", "chunk", 0.04, 0.01, 0.1, 0.01, "s")),
    question=Question(
        "Cancel is pressed while analyse is crunching numbers in a loop with no await in it. "
        "When does analyse stop?",
        ("immediately: cancel() interrupts it",
         "at its next await, a few milliseconds later",
         "only when the whole CPU loop has finished"),
        _answer,
    ),
)
