"""The classic deadlock: the UI thread waits, synchronously, for work only the UI thread can do.

``run_coroutine_threadsafe(coro, loop).result()`` called *on the loop's own thread* hands the
coroutine to the loop and then blocks the loop, so the coroutine can never start. Here the wait
has a timeout, so the demo recovers by itself; real code often has none and hangs forever.
``asyncio.run`` and ``loop.run_until_complete`` inside a running loop fail the same way, but
at once, with a RuntimeError.
"""

from __future__ import annotations

import asyncio

from loopviz.demos import evidence as ev
from loopviz.demos.base import FIXED, PITFALL, Demo, Param
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration, place

NESTED_RUN = "nested-run"


async def fetch_greeting() -> str:
    await asyncio.sleep(0.1)  # needs the loop, that is the UI thread, to finish
    return "hello"


def greeting_sync_over_async(loop: asyncio.AbstractEventLoop, timeout: float) -> str:
    # "Sync over async": start the coroutine on the loop, then block until it is done.
    future = asyncio.run_coroutine_threadsafe(fetch_greeting(), loop)
    try:
        return future.result(timeout)  # the UI thread waits for work that needs the UI thread
    except TimeoutError:
        future.cancel()  # without a timeout we would wait here forever
        return "no greeting (deadlocked until the timeout)"


def greeting_nested_run(loop: asyncio.AbstractEventLoop) -> list[str]:
    errors = []
    coro = fetch_greeting()
    try:
        asyncio.run(coro)  # a loop is already running on this thread
    except RuntimeError as exc:
        coro.close()  # it never ran; close it so it is not reported as never awaited
        errors.append(f"asyncio.run: {exc}")
    coro = fetch_greeting()
    try:
        loop.run_until_complete(coro)  # same thing, with the loop we are running in
    except RuntimeError as exc:
        coro.close()
        errors.append(f"run_until_complete: {exc}")
    return errors


async def main(variant: str, timeout: float = 1.0) -> object:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(0.2)
    if variant == PITFALL:
        return greeting_sync_over_async(loop, timeout)
    return await fetch_greeting()  # the fix: await it; async all the way up


async def main_nested_run(variant: str) -> object:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(0.2)
    if variant == PITFALL:
        return greeting_nested_run(loop)
    return await fetch_greeting()  # the fix: we are already in the loop, so await


# ---- what the run proved ------------------------------------------------------------------
def check_nested_run(trace: Trace, variant: str) -> list[Finding]:
    return check(trace, NESTED_RUN if variant == PITFALL else FIXED)


def check(trace: Trace, variant: str, timeout: float = 1.0) -> list[Finding]:
    timeout_ns = timeout * 1e9
    out = []
    main_task = ev.first_task(trace, "main")
    steps = trace.steps_of(main_task.id) if main_task else []
    longest = ev.longest_step(steps)
    held = (longest.end_ns - longest.start_ns) if longest else 0
    if variant == PITFALL:
        deadlocks = trace.diagnostics_of("deadlock")
        file, line = ev.source_line(greeting_sync_over_async, "future.result(")
        out.append(ev.diagnostic_finding(deadlocks, "deadlock", file, line, "deadlocks"))
        blocks = ev.ui_blocks(trace, int(timeout_ns / 2))
        if blocks:
            b = blocks[0]
            out.append(Finding(
                f"UI thread blocked {duration(b.end_ns - b.start_ns)} in {b.function or 'code'} "
                f"at {place(b.file, b.line)}",
                ok=ev.same_file(b.file, file) and b.line == line,
                data={"block_s": (b.end_ns - b.start_ns) / 1e9, "at_ns": b.start_ns}))
        fetches = ev.tasks_running(trace, "fetch_greeting")
        if fetches and longest is not None:
            started = fetches[0].created_ns
            out.append(Finding(
                f"main held the UI thread {duration(held)}; fetch_greeting could only start "
                f"{duration(started - longest.start_ns)} after it was requested, when the wait "
                f"gave up, and ended {fetches[0].outcome}",
                ok=held >= 0.8 * timeout_ns and started >= longest.end_ns - 0.05e9,
                data={"held_s": held / 1e9, "start_delay_s": (started - longest.start_ns) / 1e9}))
        else:
            out.append(Finding("fetch_greeting never got a task", ok=False))
    elif variant == NESTED_RUN:
        nested = trace.diagnostics_of("nested-run")
        out.append(Finding(
            f"{len(nested)} nested-run diagnostic(s)"
            + (f", first at {place(nested[0].file, nested[0].line)}" if nested else ""),
            ok=len(nested) >= 1, data={"nested_runs": len(nested)}))
        out.append(Finding(f"the loop was never held longer than {duration(held)}: "
                           "both calls failed at once", ok=held < 0.1e9,
                           data={"held_s": held / 1e9}))
    else:
        bad = trace.diagnostics_of("deadlock") + trace.diagnostics_of("nested-run")
        out.append(Finding(
            f"main awaited fetch_greeting: the UI thread was never held longer than "
            f"{duration(held)}; {len(bad)} deadlock/nested-run diagnostics",
            ok=held < 0.25 * timeout_ns and not bad, data={"held_s": held / 1e9}))
    if main_task is not None:
        out.append(Finding(f"main ended: {main_task.outcome} (the app recovered by itself)",
                           ok=main_task.outcome == "result"))
    return out


DEMOS = [Demo(
    id="deadlock",
    title="Sync over async: the deadlock",
    category="Pitfalls",
    summary="Blocking the UI thread on work that needs the UI thread waits forever.",
    explanation=(
        "The pitfall asks the loop to run fetch_greeting and then blocks on "
        "future.result(timeout): the UI-thread lane is red for the whole timeout, the "
        "deadlock diagnostic names the result() line, and fetch_greeting's lane only begins "
        "when the wait gives up. The fixed variant simply awaits: a short wait, no block."
    ),
    csharp=(
        "C#: calling .Result or .Wait() on a Task from the UI thread deadlocks, because the "
        "continuation must resume on the captured SynchronizationContext, the UI thread you "
        "are blocking. Python has no SynchronizationContext, but a qasync loop *is* the UI "
        "thread: every coroutine step runs there, so blocking it on a future of that same loop "
        "(run_coroutine_threadsafe(...).result()) is the same stalemate. Python's cousin, "
        "asyncio.run/run_until_complete inside a running loop, fails fast instead. The fix is "
        "the same in both languages: async all the way up."
    ),
    main=main,
    check=check,
    params=(Param("timeout", "give up after", 1.0, 0.3, 3.0, 0.1, "s"),),
), Demo(
    id="nested-run",
    title="asyncio.run inside a running loop",
    category="Pitfalls",
    summary="Inside a coroutine you are already in the loop: await, never run it again.",
    explanation=(
        "The pitfall calls asyncio.run and loop.run_until_complete from inside a coroutine, "
        "to get a result 'synchronously'. Both refuse at once with RuntimeError (a loop is "
        "already running on this thread) and a nested-run diagnostic names each line; "
        "nothing blocks. The fixed variant awaits fetch_greeting: one short wait."
    ),
    csharp=(
        "C#: the urge to call .Result from synchronous code inside an async app. Python's "
        "version is calling asyncio.run or run_until_complete from code the loop is already "
        "running: CPython forbids re-entering the loop, so it fails fast instead of "
        "deadlocking. The fix is the same: make the caller async and await."
    ),
    main=main_nested_run,
    check=check_nested_run,
)]
