"""Never block the loop: ``time.sleep`` inside a coroutine freezes every task and the UI.

The loop runs on one thread (here: the Qt UI thread). A coroutine that calls a blocking
function keeps that thread until the call returns: no other task, timer or repaint can run.
"""

from __future__ import annotations

import asyncio
import time

from loopviz.demos import evidence as ev
from loopviz.demos.base import FIXED, PITFALL, Demo, Param, Question
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration, place


async def spinner(stop: asyncio.Event, tick: float = 0.05) -> int:
    # Stands in for the UI: it wants to run every 50 ms.
    ticks = 0
    while not stop.is_set():
        await asyncio.sleep(tick)
        ticks += 1
    return ticks


async def load_settings(variant: str, block: float) -> str:
    if variant == PITFALL:
        time.sleep(block)  # blocks the whole thread: the loop, its timers, the repaint
    else:
        await asyncio.sleep(block)  # suspends this task only; the loop runs the others
    return "settings loaded"


async def main(variant: str, block: float = 1.0) -> str:
    stop = asyncio.Event()
    spin = asyncio.create_task(spinner(stop), name="spinner")
    await asyncio.sleep(0.3)
    result = await asyncio.create_task(load_settings(variant, block), name="load-settings")
    await asyncio.sleep(0.3)
    stop.set()
    await spin
    return result


# ---- what the run proved ------------------------------------------------------------------
def check(trace: Trace, variant: str, block: float = 1.0) -> list[Finding]:
    block_ns = int(block * 1e9)
    file, line = ev.source_line(load_settings, "time.sleep(")
    out = []
    blocks = ev.ui_blocks(trace, block_ns // 2)
    if blocks:
        b = max(blocks, key=lambda b: b.end_ns - b.start_ns)
        dur = b.end_ns - b.start_ns
        on_line = ev.same_file(b.file, file) and b.line == line
        out.append(Finding(
            f"UI thread blocked {duration(dur)} by {b.function or 'code'} at "
            f"{place(b.file, b.line)}",
            ok=variant == PITFALL and on_line and 0.8 * block_ns <= dur <= 1.6 * block_ns,
            data={"block_s": dur / 1e9, "line": b.line, "at_ns": b.start_ns}))
    else:
        out.append(Finding(f"no block of the UI thread longer than {duration(block_ns // 2)}",
                           ok=variant == FIXED, data={"block_s": 0.0}))
    loader = ev.first_task(trace, "load-settings")
    step = ev.longest_step(trace.steps_of(loader.id)) if loader else None
    if step is not None:
        dur = step.end_ns - step.start_ns
        out.append(Finding(
            f"load-settings held the loop for {duration(dur)} in one step "
            f"on {ev.thread_name(trace, step.thread)}",
            ok=(dur >= 0.8 * block_ns) == (variant == PITFALL),
            data={"longest_step_s": dur / 1e9}))
    spin = ev.first_task(trace, "spinner")
    late = ev.timer_lateness(trace.waits_of(spin.id)) if spin else []
    worst = max(late, default=0)
    n_late = sum(1 for x in late if x > 0.25 * block_ns)
    out.append(Finding(
        f"{n_late} of {len(late)} spinner timers fired late (worst by {duration(worst)})",
        ok=(worst >= 0.5 * block_ns) if variant == PITFALL else (worst < 0.5 * block_ns),
        data={"late_timers": n_late, "worst_late_s": worst / 1e9}))
    gap = ev.heartbeat_max(trace)
    if trace.ui_heartbeat:
        out.append(Finding(f"longest UI heartbeat gap {duration(gap)} (a repaint needs a beat)",
                           ok=(gap >= 0.5 * block_ns) == (variant == PITFALL),
                           data={"heartbeat_gap_s": gap / 1e9}))
    return out


def _answer(trace: Trace, variant: str, block: float = 1.0) -> int:
    spin = ev.first_task(trace, "spinner")
    worst = max(ev.timer_lateness(trace.waits_of(spin.id)) if spin else [], default=0)
    return 1 if worst >= 0.5 * block * 1e9 else 0


DEMO = Demo(
    id="blocking-sleep",
    title="Blocking the loop",
    category="Pitfalls",
    summary="Never block a coroutine: time.sleep freezes every task and the UI with it.",
    explanation=(
        "A spinner task ticks every 50 ms while load_settings waits for a second. In the "
        "pitfall it waits with time.sleep: the UI-thread lane turns red for the whole second, "
        "attributed to the time.sleep line; the spinner's lane turns 'late' (striped orange) "
        "from the moment its timer was due until the loop could run it again, and the "
        "heartbeat chart shows a one-second gap (nothing could repaint). In the "
        "fixed variant it awaits asyncio.sleep: load-settings waits on its own lane while the "
        "spinner keeps ticking on time."
    ),
    csharp=(
        "C#: never block on async code (Thread.Sleep, .Result, .Wait()): it blocks the thread "
        "the continuation needs. Python: the same rule, stricter: the event loop is one thread "
        "(in loopviz, the Qt UI thread), so one blocking call inside any coroutine stops every "
        "task. Use the awaitable version (asyncio.sleep, an async client) or offload the call "
        "with asyncio.to_thread."
    ),
    main=main,
    check=check,
    params=(Param("block", "block for", 1.0, 0.2, 2.0, 0.1, "s"),),
    question=Question(
        "load_settings waits one second. Will the spinner keep ticking meanwhile?",
        ("Yes, every 50 ms", "No, it freezes until the wait ends"),
        _answer),
)
