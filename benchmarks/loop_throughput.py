"""Throughput and timer precision: plain asyncio vs loopviz's Qt loop vs stock qasync.

Why: loopviz's Qt loop exists because stock qasync gives every ``call_soon`` its own Qt timer
(~10x slower than asyncio) and fires timers early. This prints, from one run on one machine,
side by side:

- throughput: N tasks x M ``await asyncio.sleep(0)`` (best of 3 for asyncio and loopviz; stock
  qasync once, by default at the same size; ``--qasync-tasks`` runs it smaller and scales the
  time up linearly, which flatters qasync because its cost per callback grows with the queue);
- timer precision: 200 ``call_later`` with random delays, min/median/max of (fired - due) in ms;
  a negative figure means the callback ran early.

Target: loopviz's Qt loop >= 0.85x plain asyncio's throughput, and never early.

Run headless: ``QT_QPA_PLATFORM=offscreen python benchmarks/loop_throughput.py``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync  # after the environment is set

from loopviz.loop import QtEventLoop, ensure_qt_app

LoopFactory = Callable[[], asyncio.AbstractEventLoop]
TIMES = "\u00d7"  # the multiplication sign, spelled out for linters that suspect an "x"


async def _sleeper(sleeps: int) -> None:
    for _ in range(sleeps):
        await asyncio.sleep(0)


async def _workload(tasks: int, sleeps: int) -> None:
    await asyncio.gather(*(_sleeper(sleeps) for _ in range(tasks)))


def time_workload(make_loop: LoopFactory, tasks: int, sleeps: int) -> float:
    """Seconds for one run of the workload on a fresh loop (creation and close excluded)."""
    loop = make_loop()
    try:
        gc.collect()
        start = time.perf_counter()
        loop.run_until_complete(_workload(tasks, sleeps))
        return time.perf_counter() - start
    finally:
        loop.close()


def timer_lateness(make_loop: LoopFactory, count: int, seed: int) -> list[float]:
    """(fired - due) in seconds for ``count`` call_later with random delays of 1-100 ms.

    ``due`` is the handle's ``when()`` where the loop returns TimerHandles; stock qasync returns
    plain Handles, so there it is ``loop.time() + delay`` taken just before the call.
    """
    rng = random.Random(seed)
    loop = make_loop()
    lateness: list[float] = []

    async def main() -> None:
        done = loop.create_future()
        dues: list[float] = []

        def fired(index: int) -> None:
            lateness.append(loop.time() - dues[index])
            if len(lateness) == count:
                done.set_result(None)

        for index in range(count):  # all scheduled before the first (>= 1 ms) can fire
            delay = rng.uniform(0.001, 0.1)
            due = loop.time() + delay
            handle = loop.call_later(delay, fired, index)
            dues.append(handle.when() if isinstance(handle, asyncio.TimerHandle) else due)
        await done

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
    return lateness


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--sleeps", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--qasync-tasks", type=int, default=None,
        help="run stock qasync with this many tasks and scale (default: --tasks, run once)",
    )
    parser.add_argument("--timers", type=int, default=200)
    args = parser.parse_args(argv)

    app = ensure_qt_app()
    loops: dict[str, LoopFactory] = {
        "plain asyncio": asyncio.new_event_loop,
        "loopviz Qt loop": lambda: QtEventLoop(app),
        "stock qasync": lambda: qasync.QEventLoop(app),
    }
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; "
          f"{args.tasks} tasks x {args.sleeps} await asyncio.sleep(0)")

    samples: dict[str, list[float]] = {"plain asyncio": [], "loopviz Qt loop": []}
    for _ in range(args.repeat):  # interleaved, so a noisy moment hurts both alike
        for name, runs in samples.items():
            runs.append(time_workload(loops[name], args.tasks, args.sleeps))
    seconds = {name: min(runs) for name, runs in samples.items()}
    for name, value in seconds.items():
        print(f"  {name:<16} {value:7.3f} s  (best of {args.repeat})")
    q_tasks = args.qasync_tasks or args.tasks
    q_seconds = time_workload(loops["stock qasync"], q_tasks, args.sleeps)
    scale = args.tasks / q_tasks
    seconds["stock qasync"] = q_seconds * scale
    how = "1 run" if scale == 1 else f"1 run of {q_tasks} tasks, scaled x{scale:g} (flattering)"
    print(f"  {'stock qasync':<16} {seconds['stock qasync']:7.3f} s  ({how})")

    base = seconds["plain asyncio"]
    print(f"loopviz Qt loop: {base / seconds['loopviz Qt loop']:.2f}{TIMES} plain asyncio "
          f"throughput; stock qasync: {base / seconds['stock qasync']:.2f}{TIMES}")

    print(f"timer precision: {args.timers} call_later, random delays 1-100 ms, "
          "fired - due in ms (negative = early)")
    for name, make_loop in loops.items():
        late_ms = [x * 1000 for x in timer_lateness(make_loop, args.timers, seed=7)]
        print(f"  {name:<16} min {min(late_ms):+7.3f}  median {statistics.median(late_ms):+7.3f}"
              f"  max {max(late_ms):+7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
