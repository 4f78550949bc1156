"""A periodic background worker: tick at a steady rate, stop cleanly when asked.

``await asyncio.sleep(period)`` after the work makes each round last *period + work*: the
ticks drift later and later. Sleeping until the next tick's deadline (computed from the
loop's clock) keeps them on a grid. Stopping is ``worker.cancel()``: the CancelledError lands
at the worker's current await and its ``finally`` flushes before it ends.
"""

from __future__ import annotations

import asyncio
import itertools

from loopviz.demos._control import ended, task_called, typical, waits_in
from loopviz.demos.base import FIXED, PITFALL, Demo, Param, Question
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration


async def refresh_cache(work: float) -> None:
    await asyncio.sleep(work)  # the job done on every tick (a query, a request...)


async def flush() -> None:
    await asyncio.sleep(0.1)  # graceful stop: write out what is pending, close connections


async def worker_that_drifts(period: float, work: float) -> None:
    try:
        while True:
            await refresh_cache(work)
            await asyncio.sleep(period)  # period *after* the work: each round is period + work
    finally:
        await flush()


async def worker_on_a_grid(period: float, work: float) -> None:
    loop = asyncio.get_running_loop()
    next_tick = loop.time()
    try:
        while True:
            await refresh_cache(work)
            next_tick += period  # the next deadline on a fixed grid, like PeriodicTimer
            await asyncio.sleep(max(0.0, next_tick - loop.time()))
    finally:
        await flush()


async def main(variant: str, period: float = 0.25, work: float = 0.1,
               run_for: float = 2.0) -> None:
    body = worker_that_drifts if variant == PITFALL else worker_on_a_grid
    worker = asyncio.create_task(body(period, work), name="worker")
    await asyncio.sleep(run_for)  # the application runs for a while...
    worker.cancel()  # ...then shuts down: stop the background worker
    await asyncio.wait({worker})  # and wait until its cleanup has finished


def _ticks(trace: Trace) -> list[int]:
    worker = task_called(trace, "worker")
    if worker is None:
        return []
    return [w.start_ns for w in waits_in(trace, refresh_cache, [worker.id])]


def check(trace: Trace, variant: str, period: float = 0.25, work: float = 0.1,
          run_for: float = 2.0) -> list[Finding]:
    ticks = _ticks(trace)
    intervals = [b - a for a, b in itertools.pairwise(ticks)]
    usual = typical(intervals)
    spread = (max(intervals) - min(intervals)) if intervals else 0
    p = period * 1e9
    data = {"ticks": len(ticks), "interval_s": usual / 1e9, "spread_s": spread / 1e9,
            "period_s": period, "drift_s": (ticks[-1] - ticks[0] - p * (len(ticks) - 1)) / 1e9
            if ticks else 0.0}
    if variant == PITFALL:
        rate = Finding(
            f"{len(ticks)} ticks every {duration(usual)}, not {duration(p)}: each round adds the "
            f"{duration(work * 1e9)} of work, {duration(data['drift_s'] * 1e9)} of drift by "
            f"the last tick",
            ok=len(intervals) >= 2 and usual > p + 0.5 * work * 1e9, data=data)
    else:
        rate = Finding(
            f"{len(ticks)} ticks every {duration(usual)} (period {duration(p)}, spread "
            f"{duration(spread)}): the work does not push the next tick later",
            ok=len(intervals) >= 2 and abs(usual - p) <= 0.15 * p, data=data)
    return [rate, _stop_finding(trace)]


def _stop_finding(trace: Trace) -> Finding:
    main_task, worker = task_called(trace, "main"), task_called(trace, "worker")
    if worker is None:
        return Finding("no worker task ran", ok=False)
    # The stop: main's sleep ended and it called worker.cancel() in that step.
    stop = next((w.end_ns for w in trace.waits_of(main_task.id) if w.kind == "sleep"
                 and w.end_ns is not None), None) if main_task else None
    cleanup = waits_in(trace, flush, [worker.id])
    after = [w for w in cleanup if stop is not None and w.start_ns >= stop]
    finished = ended(trace, worker)
    took = (finished - stop) if stop is not None else 0
    return Finding(
        f"stop: worker ended {worker.outcome} {duration(took)} after cancel(); "
        f"{'its finally cleanup ran after the cancel' if after else 'no cleanup ran after it'}",
        ok=worker.outcome == "cancelled" and len(after) == 1
        and all(w.end_ns is not None and w.end_ns <= finished for w in after),
        data={"stop_s": (stop or 0) / 1e9, "stopped_after_s": took / 1e9,
              "cleanups_after": len(after)})


def _answer(trace: Trace, variant: str, **params: float) -> int:
    intervals = [b - a for a, b in itertools.pairwise(_ticks(trace))]
    period = float(params.get("period", 0.25)) * 1e9
    return 0 if abs(typical(intervals) - period) <= 0.15 * period else 1


DEMO = Demo(
    id="periodic-worker",
    title="A periodic background worker",
    category="Control",
    summary="Tick on a fixed grid, not 'work then sleep(period)', and stop it with cancel() "
            "and a finally.",
    explanation=(
        "A background worker refreshes a cache every 0.25 s; each refresh takes 0.1 s. After "
        "2 s main stops it with worker.cancel() and waits for it. Pitfall: 'work, then "
        "sleep(period)' makes every round 0.35 s: count the refresh segments on the worker "
        "lane and they fall further behind the 0.25 s grid. Fixed: the worker computes the "
        "next deadline from loop.time() and sleeps only what is left, so the refreshes start "
        "every 0.25 s. In both, the cancel lands at the worker's current await, the 'flush' "
        "in its finally runs after it, and the worker ends cancelled; main's lane waits for "
        "that instead of leaving the worker behind."
    ),
    csharp=(
        "C#: a BackgroundService whose ExecuteAsync loops on 'await "
        "timer.WaitForNextTickAsync(ct)' of a PeriodicTimer, stopped through the stopping "
        "token. Python has no PeriodicTimer or hosted services: a task with a loop is the "
        "worker, the loop's clock (loop.time()) gives the grid, and task.cancel() is the stop "
        "signal; keep a reference to the task and await it (or asyncio.wait) so shutdown "
        "waits for the cleanup, as the host waits for StopAsync."
    ),
    main=main,
    check=check,
    variants=(PITFALL, FIXED),
    params=(Param("period", "period", 0.25, 0.1, 0.5, 0.05, "s"),
            Param("work", "work per tick", 0.1, 0.0, 0.2, 0.02, "s"),
            Param("run_for", "stop after", 2.0, 0.5, 3.0, 0.1, "s")),
    question=Question(
        "The worker does 0.1 s of work and then sleeps 0.25 s. How often does it tick?",
        ("every 0.25 s", "every 0.35 s, drifting later"),
        _answer,
    ),
)
