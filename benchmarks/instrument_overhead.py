"""Instrumentation cost, measured side by side in one run.

(b) overhead: 20,000 tasks × 10 ``await asyncio.sleep(0)``, bare vs instrumented
    (``loopviz.record(loop, probes=False)``) on the *same* kind of loop, best of N each;
    target: instrumented ≤ 1.3× the bare time.
(c) memory: bytes per recorded step, from the recorder's own columns (the hot step/wake/due
    records, after compaction) and from tracemalloc over the whole recording (which also
    counts the per-task entries); target ≤ 64 bytes per step for the hot records.

Both implementations of the instrumentation are measured: the C speedups (when built) in this
process, and the pure-Python twins in a child process (``LOOPVIZ_PURE_PYTHON=1``), each against
its own bare runs.

Run: python benchmarks/instrument_overhead.py [--tasks N] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import loopviz
from loopviz._native import IMPLEMENTATION
from loopviz.session import close_loop, new_loop


async def workload(tasks: int, awaits: int, work: int = 0) -> None:
    """``tasks`` tasks × ``awaits`` ``sleep(0)``; ``work`` > 0 adds that much pure-Python work
    per step (a sum over ``range(work)``: ~1 µs per 25), so steps look like a real program's."""
    async def hop() -> None:
        for _ in range(awaits):
            if work:
                sum(range(work))
            await asyncio.sleep(0)
    await asyncio.gather(*(hop() for _ in range(tasks)))


def timed(loop_kind: str, instrumented: bool, tasks: int, awaits: int,
          work: int = 0) -> tuple[float, object]:
    loop = new_loop(loop_kind)
    rec = None
    try:
        gc.collect()
        if instrumented:
            rec = loopviz.record(loop, probes=False).start()
        t0 = time.perf_counter()
        loop.run_until_complete(workload(tasks, awaits, work))
        elapsed = time.perf_counter() - t0
        if rec is not None:
            rec.stop()  # unregisters the recorder too: nothing of this run outlives it
    finally:
        close_loop(loop)
    return elapsed, rec


def memory(tasks: int, awaits: int) -> tuple[float, float, int]:
    loop = new_loop("asyncio")
    try:
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        rec = loopviz.record(loop, probes=False).start()
        loop.run_until_complete(workload(tasks, awaits))
        rec.tracker.uninstall()
        rec.recorder.compact()
        gc.collect()
        total = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
    finally:
        close_loop(loop)
    steps = rec.recorder.step_count()
    return rec.recorder.memory_bytes() / steps, total / steps, steps


WORKLOADS = ((0, "empty steps"), (500, "~20 us of work per step"))


def measure(tasks: int, awaits: int, repeat: int) -> list[dict[str, object]]:
    """Bare and instrumented runs alternate so machine noise hits both alike; best of each."""
    rows = []
    for work, what in WORKLOADS:
        for loop_kind in ("asyncio", "qt"):
            best: dict[bool, float] = {}
            for _ in range(repeat):
                for instrumented in (False, True):
                    t = timed(loop_kind, instrumented, tasks, awaits, work)[0]
                    best[instrumented] = min(best.get(instrumented, 1e9), t)
            rows.append({"what": what, "loop": loop_kind, "bare": best[False],
                         "instrumented": best[True]})
    return rows


def report(rows: list[dict[str, object]], implementation: str, steps: int) -> None:
    print(f"  instrumentation in {implementation}:")
    for r in rows:
        bare, inst = float(r["bare"]), float(r["instrumented"])  # type: ignore[arg-type]
        ratio = inst / bare
        verdict = "meets" if ratio <= 1.3 else "MISSES"
        print(f"    {r['what']:24s} {r['loop']:8s} bare {bare:.3f} s  instrumented {inst:.3f} s"
              f"  -> {ratio:.2f}x ({verdict} the 1.3x target; "
              f"+{(inst - bare) / steps * 1e6:.2f} us per step)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=20_000)
    ap.add_argument("--awaits", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # the child's output
    args = ap.parse_args()
    steps = args.tasks * (args.awaits + 1)
    if args.json:
        print(json.dumps(measure(args.tasks, args.awaits, args.repeat)))
        return
    print(f"python {sys.version.split()[0]}; {args.tasks} tasks x {args.awaits} "
          f"await asyncio.sleep(0); best of {args.repeat}")
    report(measure(args.tasks, args.awaits, args.repeat), IMPLEMENTATION, steps)
    if IMPLEMENTATION != "pure Python":
        child = subprocess.run(
            [sys.executable, __file__, "--json", "--tasks", str(args.tasks), "--awaits",
             str(args.awaits), "--repeat", str(args.repeat)],
            env=dict(os.environ, LOOPVIZ_PURE_PYTHON="1"), capture_output=True, text=True,
            check=True)
        report(json.loads(child.stdout.splitlines()[-1]), "pure Python (child process)", steps)
    hot, total, steps = memory(args.tasks, args.awaits)
    verdict = "meets" if hot <= 64 else "MISSES"
    print(f"  memory ({IMPLEMENTATION}): {steps} steps recorded; hot records {hot:.1f} bytes/step "
          f"({verdict} the 64-byte target); whole recording incl. task entries {total:.1f} "
          f"bytes/step")


if __name__ == "__main__":
    main()
