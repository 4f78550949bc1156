"""Timeline paint times: 10k, 100k and 1M segments, full view, zoomed and live append.

Why: the timeline must stay fluid on big traces and cheap during live runs (it shares the UI
thread with the program it shows). This builds a ``TimelineView`` offscreen at 1200x800 and
times, as the median of several repeats:

- full: the whole trace in view (the raster fallback takes over above 100k visible segments);
- zoomed: 1% of the trace in view;
- live: append 1/30 s worth of new segments (one bridge tick), refresh, repaint, with the view
  following the newest 10% of the trace (follow-live).

Two figures each: ``item`` is ``TimelineItem.paint`` alone; ``frame`` is the whole plot repaint
(axes and labels included; for live, the append as well).

The segment columns are SYNTHETIC (random states and durations laid back to back on 24 lanes
over 10 s), loaded with ``TimelineModel.load_columns``: a real trace of a million segments takes
minutes to record. Everything the app shows comes from real traces; this only measures drawing.

It also times the layout side of a live run: ``TimelineModel.update`` with a growing Trace of
100k records (hand-built Step/Wait records, 500 tasks with open waits): the full build (what
opening a saved trace costs) and one bridge tick appending 200 records.

Targets: 100k full <= 33 ms, zoomed <= 5 ms, live <= 10 ms; 1M full <= 150 ms.

Run headless: ``QT_QPA_PLATFORM=offscreen python benchmarks/render.py [--repeats N]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtWidgets import QApplication

from loopviz.ui.palette import STATE_KEYS
from loopviz.ui.timeline.index import Segments
from loopviz.ui.timeline.lanes import Lane
from loopviz.ui.timeline.view import TimelineView

LANES = 24
SPAN = 10.0  # seconds
TARGETS_MS = {(100_000, "full"): 33, (100_000, "zoomed"): 5, (100_000, "live"): 10,
              (1_000_000, "full"): 150}


def synthetic(n: int, rng: np.random.Generator, t0: float = 0.0,
              t1: float = SPAN) -> Segments:
    """``n`` segments, back to back per lane, between t0 and t1, random states."""
    per = max(1, n // LANES)
    durations = rng.exponential(1.0, size=(LANES, per))
    durations *= (t1 - t0) / durations.sum(axis=1, keepdims=True)
    x1 = t0 + np.cumsum(durations, axis=1)
    x0 = x1 - durations
    lanes = np.repeat(np.arange(LANES), per)
    states = rng.integers(0, len(STATE_KEYS), size=LANES * per)
    return Segments.of(x0.ravel(), x1.ravel(), lanes, states, np.arange(LANES * per))


def make_view(n: int, rng: np.random.Generator) -> TimelineView:
    view = TimelineView()
    view.resize(1200, 800)
    view.show()
    lanes = [Lane(i, "task", i, f"task-{i}") for i in range(LANES)]
    view.model.load_columns(lanes, synthetic(n, rng), SPAN)
    view._after_model_change()
    QApplication.processEvents()
    return view


def frame(view: TimelineView) -> tuple[float, float]:
    t = time.perf_counter()
    view.plot.viewport().repaint()
    return (time.perf_counter() - t) * 1e3, view.item.last_paint_s * 1e3


def measure(n: int, repeats: int, rng: np.random.Generator) -> dict[str, tuple[float, float, str]]:
    view = make_view(n, rng)
    vb = view.view_box
    out: dict[str, tuple[float, float, str]] = {}
    for name, (a, b) in {"full": (0.0, SPAN), "zoomed": (SPAN / 2, SPAN / 2 + SPAN / 100)}.items():
        vb.setXRange(a, b, padding=0)
        QApplication.processEvents()
        frame(view)  # warm up caches
        runs = [frame(view) for _ in range(repeats)]
        out[name] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
                     view.item.last_mode)
    # Live: one bridge tick (1/30 s of the same density) appended, then repaint.
    tick = 1 / 30
    per_tick = max(LANES, int(n / SPAN * tick))
    runs = []
    now = SPAN
    for _ in range(max(repeats, 5)):
        chunk = synthetic(per_tick, rng, now, now + tick)
        now += tick
        t = time.perf_counter()
        view.model.index.append(chunk)
        view.model.now = now
        view.item.refresh()
        vb.setXRange(now - SPAN / 10, now, padding=0)
        wall, _ = frame(view)
        runs.append(((time.perf_counter() - t) * 1e3, view.item.last_paint_s * 1e3))
        del wall
    out["live"] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
                   view.item.last_mode)
    view.close()
    view.deleteLater()
    return out


def measure_layout() -> tuple[float, float]:
    """(full build ms, median live tick ms) for a growing trace of 100k step/wait records."""
    import dataclasses

    from loopviz.trace import Step, TaskInfo, ThreadInfo, Trace, Wait
    from loopviz.ui.timeline.layout import TimelineModel

    n_tasks, rounds, us = 500, 100, 1000
    tasks = tuple(TaskInfo(i, f"t{i}", "c", None, 0, None, "pending", None, "f", 1)
                  for i in range(n_tasks))
    steps, waits, t = [], [], 0
    for _ in range(rounds):
        for i in range(n_tasks):
            steps.append(Step(i, t, t + 5 * us, 0))
            nxt = t + n_tasks * 10 * us
            waits.append(Wait(i, t + 5 * us, nxt - 100 * us, None, nxt, "sleep", (), "sleep",
                              "f", 1))
            t += 10 * us
    for k in range(len(waits) - n_tasks, len(waits)):  # the last round is still asleep
        waits[k] = dataclasses.replace(waits[k], ready_ns=None, end_ns=None)

    def upto(n: int) -> Trace:
        return Trace(meta={"target": "bench", "started_at": "0"},
                     threads=(ThreadInfo(0, "MainThread", "ui-loop"),), tasks=tasks,
                     steps=tuple(steps[:n]), waits=tuple(waits[:n]),
                     duration_ns=steps[n - 1].end_ns)

    model = TimelineModel()
    start = len(steps) - 2000
    t0 = time.perf_counter()
    model.update(upto(start))
    full = (time.perf_counter() - t0) * 1e3
    ticks = []
    for n in range(start + 100, len(steps) + 1, 100):
        trace = upto(n)
        t0 = time.perf_counter()
        model.update(trace)
        ticks.append((time.perf_counter() - t0) * 1e3)
    return full, statistics.median(ticks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv)
    rng = np.random.default_rng(3)
    print(f"offscreen 1200x800, {LANES} lanes over {SPAN:g} s, median of {args.repeats}")
    print(f"{'segments':>10} {'view':>7} {'frame ms':>9} {'item ms':>8} {'path':>7}  target")
    for n in args.sizes:
        for name, (wall, item, mode) in measure(n, args.repeats, rng).items():
            target = TARGETS_MS.get((n, name))
            verdict = "" if target is None else \
                f"<= {target} ms {'ok' if wall <= target else 'MISSED'}"
            print(f"{n:>10,} {name:>7} {wall:>9.1f} {item:>8.1f} {mode:>7}  {verdict}")
    full, tick = measure_layout()
    print(f"layout: full build of 100k records {full:.0f} ms; live tick (+200 records, "
          f"500 open waits) {tick:.2f} ms")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
