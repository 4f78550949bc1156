"""The visualiser's own share of the UI thread during a 10,000-task run, in the real window.

Runs ``benchmarks/ten_thousand_tasks.py`` (10,000 short tasks in ten gathers) from the main
window, exactly as Run (F5) does, and sums the ``loopviz:`` callbacks the bridge and the
window's paint passes recorded on the UI lane: share = their time / the run's duration.
Target: <= 5 %. Offscreen unless a display is set (use xvfb-run to include real painting).

    python benchmarks/ui_share.py [--script PATH] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure(script: str) -> dict[str, float]:
    from PySide6.QtCore import QSettings, QTimer

    from loopviz.ui.app import attach_loop, close_loop, ensure_app, make_window
    from loopviz.ui.settings import AppSettings

    app = ensure_app()
    loop = attach_loop(app)
    settings = AppSettings(QSettings(os.devnull, QSettings.Format.IniFormat))
    window = make_window(loop, settings)
    window.resize(1600, 1000)
    window.show()
    window.select_target(script)
    results: list[object] = []
    window.runFinished.connect(lambda r: (results.append(r), app.quit()))
    QTimer.singleShot(600, window.run)
    QTimer.singleShot(120_000, app.quit)
    app.exec()
    try:
        (result,) = results
        trace = result.trace
        own = [c for c in trace.callbacks if c.label.startswith("loopviz:")]
        by_label: dict[str, float] = {}
        for c in own:
            by_label[c.label] = by_label.get(c.label, 0.0) + (c.end_ns - c.start_ns) / 1e6
        total_ms = sum(by_label.values())
        paints = sorted((c.end_ns - c.start_ns) / 1e6 for c in own if c.label == "loopviz: repaint")
        return {"tasks": len(trace.tasks), "steps": len(trace.steps),
                "duration_s": trace.duration_ns / 1e9, "own_ms": total_ms,
                "share_pct": 100 * total_ms / (trace.duration_ns / 1e6),
                "update_ms": by_label.get("loopviz: update", 0.0),
                "repaint_ms": by_label.get("loopviz: repaint", 0.0),
                "ticks": window.bridge.ticks,
                "deferred": window.bridge.deferred, "paints": len(paints),
                "paint_median_ms": paints[len(paints) // 2] if paints else 0.0}
    finally:
        window.close()
        close_loop(loop)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--script", default=str(HERE / "ten_thousand_tasks.py"))
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    m = measure(args.script)
    print(f"{m['tasks']:.0f} tasks, {m['steps']:.0f} steps in {m['duration_s']:.2f} s; "
          f"loopviz on the UI thread: {m['own_ms']:.0f} ms = {m['share_pct']:.1f} % "
          f"(bridge updates {m['update_ms']:.0f} ms in {m['ticks']:.0f} ticks, "
          f"{m['paints']:.0f} paint passes {m['repaint_ms']:.0f} ms, median "
          f"{m['paint_median_ms']:.2f} ms; {m['deferred']:.0f} polls deferred "
          f"over budget); target <= 5 %")
    return 0 if m["share_pct"] <= 5.0 else 1


if __name__ == "__main__":
    sys.exit(main())
