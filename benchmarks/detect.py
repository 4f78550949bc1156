"""Watchdog detection latency and attribution accuracy over many injected blocks.

Why: the watchdog must explain every freeze of the UI thread. This injects blocks of 25-500 ms
on the UI thread (``time.sleep``, a pure-Python busy loop, and a GIL-holding C call each at a
known line) inside one instrumented run with the default plugins, then matches each injected
block with the recorded one and prints:

- detected: a recorded block overlaps the injection;
- attributed: its culprit line is the injection's line;
- latency: from the injection's start to the watchdog's first tick past the threshold;
- duration error: recorded minus injected duration.

Target: >= 95 % of blocks >= 50 ms detected and attributed to the right line.

Run headless: ``QT_QPA_PLATFORM=offscreen python benchmarks/detect.py [--blocks 90] [--loop qt]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from loopviz.instrument.watchdog import Watchdog
from loopviz.session import Target, run_headless
from loopviz.session.plugins import default_plugins, find_plugin

DURATIONS_MS = (25, 40, 50, 75, 100, 150, 200, 300, 500)
_now = time.monotonic_ns


def block_sleep(secs: float) -> None:
    time.sleep(secs)  # LINE:sleep


def block_spin(secs: float) -> None:
    end = time.perf_counter() + secs
    while time.perf_counter() < end:  # LINE:spin
        pass


def block_c_call(secs: float) -> None:
    n = int(secs * _C_RATE)
    sum(range(n))  # LINE:ccall


_C_RATE = 1.0  # range items summed per second, calibrated at start


def _calibrate() -> None:
    global _C_RATE
    n = 2_000_000
    t = time.perf_counter()
    sum(range(n))
    _C_RATE = n / (time.perf_counter() - t)


def _lines() -> dict[str, int]:
    with open(__file__) as f:
        return {text.split("# LINE:")[1].strip(): i
                for i, text in enumerate(f, 1) if "# LINE:" in text and "split" not in text}


KINDS = {"sleep": block_sleep, "spin": block_spin, "ccall": block_c_call}


class FirstSeen:
    """A stall observer noting when the watchdog first saw each stall past the threshold."""

    def __init__(self) -> None:
        self.seen: dict[int, int] = {}

    def stall_tick(self, watchdog: Watchdog, stall: Any, frame: Any) -> None:
        self.seen.setdefault(stall.start_ns, _now())

    def stall_ended(self, watchdog: Watchdog, start_ns: int, block: Any) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=90)
    parser.add_argument("--loop", choices=("qt", "asyncio"), default="qt")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verbose", action="store_true", help="list the misses")
    args = parser.parse_args()
    _calibrate()
    rng = random.Random(args.seed)
    plan = [(rng.choice(DURATIONS_MS), kind) for _ in range(args.blocks)
            for kind in [rng.choice(("sleep", "sleep", "spin", "ccall"))]]
    injected: list[tuple[int, int, int, str]] = []  # start, end, ms, kind

    async def target_main() -> None:
        for ms, kind in plan:
            await asyncio.sleep(rng.uniform(0.06, 0.12))
            start = _now()
            KINDS[kind](ms / 1000)
            injected.append((start, _now(), ms, kind))

    plugins = default_plugins(args.loop)
    watchdog = find_plugin(plugins, Watchdog)
    first = FirstSeen()
    watchdog.observers.append(first)
    target = Target("detect-benchmark", "detect", None, __file__, target_main)
    result = run_headless(target, loop=args.loop, plugins=plugins, diagnostics=False)
    t0 = result.trace.meta.get("t0_ns")
    rec = watchdog.recorder
    t0 = rec.t0 if t0 is None else t0
    lines = _lines()
    rows: dict[int, list[tuple[bool, bool, float | None, float | None]]] = {}
    for start, end, ms, kind in injected:
        s, e = start - t0, end - t0
        hits = [b for b in result.trace.blocks if b.start_ns < e and b.end_ns > s]
        detected = bool(hits)
        attributed = detected and any(b.line == lines[kind] for b in hits)
        latency = None
        for beat, seen in first.seen.items():
            if beat - t0 <= e and seen >= start and beat <= end:
                latency = (seen - start) / 1e6
                break
        err = ((hits[0].end_ns - hits[0].start_ns) - (e - s)) / 1e6 if hits else None
        rows.setdefault(ms, []).append((detected, attributed, latency, err))
        if ms >= 50 and not attributed and args.verbose:
            print(f"missed: {kind} {ms} ms, took {(e - s) / 1e6:.0f} ms, blocks: "
                  f"{[(b.line, b.culprit, (b.end_ns - b.start_ns) // 10**6) for b in hits]}")

    print(f"loop {args.loop}, threshold {watchdog.threshold_s * 1000:.0f} ms, "
          f"poll {watchdog.poll_s * 1000:.0f} ms, {len(injected)} injected blocks "
          f"(time.sleep, busy loop, GIL-holding C call)")
    print(f"{'block':>7} {'n':>4} {'detected':>9} {'right line':>11} "
          f"{'latency ms (min/med/max)':>26} {'dur err ms (med)':>17}")
    big = [r for ms, rs in rows.items() if ms >= 50 for r in rs]
    for ms in sorted(rows):
        rs = rows[ms]
        lat = [r[2] for r in rs if r[2] is not None]
        err = [r[3] for r in rs if r[3] is not None]
        lat_s = (f"{min(lat):.0f}/{statistics.median(lat):.0f}/{max(lat):.0f}" if lat else "-")
        err_s = f"{statistics.median(err):+.1f}" if err else "-"
        print(f"{ms:>5}ms {len(rs):>4} {sum(r[0] for r in rs) / len(rs):>9.0%} "
              f"{sum(r[1] for r in rs) / len(rs):>11.0%} {lat_s:>26} {err_s:>17}")
    ok = sum(r[0] and r[1] for r in big) / len(big) if big else 0.0
    print(f"blocks >= 50 ms detected and attributed to the right line: {ok:.1%} "
          f"(target >= 95 %)")
    return 0 if ok >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
