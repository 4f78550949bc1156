"""Make the README's teaching screenshots and the slow-motion GIF, from real runs.

A developer's tool, not part of the installed package (nothing in loopviz imports it):
``xvfb-run -a python tools/screens.py assets/`` writes:

- ``teaching-scrub.png``: a replay paused mid-run, the async stack of every task at the cursor;
- ``teaching-side-by-side.png``: sequential vs gather on one time axis, with both totals;
- ``teaching-loop-queues.png``: the loop's queues at the busiest instant of a starvation run
  (the instant is *chosen* from the trace: the most non-empty queues, then the most entries);
- ``blocking-slowmo.gif``: blocking-sleep (pitfall) replayed at 0.25×, captions burned in.

Settings go to a temporary file, so the user's remembered layout is neither used nor changed.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from typing import Any

from PySide6.QtCore import QSettings

from loopviz.trace import Trace
from loopviz.trace.queues import loop_queues
from loopviz.trace.timeslice import event_times

SIZE = (1600, 1000)


async def wait_for(signal: Any) -> list[Any]:
    """Wait (on the app's own loop, inside ``app.exec()``) until ``signal`` fires."""
    future = asyncio.get_running_loop().create_future()

    def done(*args: Any) -> None:
        if not future.done():
            future.set_result(list(args))

    signal.connect(done)
    try:
        return await asyncio.wait_for(future, 60)
    finally:
        signal.disconnect(done)


def busiest_instant(trace: Trace) -> int:
    """The event time with the most non-empty queues, then the most entries in them, outside
    the visualiser's own stalls (a block whose culprit is not the user's code)."""
    own = [(b.start_ns, b.end_ns) for b in trace.blocks if b.culprit != "user"]

    def score(t: int) -> tuple[int, int]:
        counts = loop_queues(trace, t).counts()
        counts.pop("running")
        return sum(1 for c in counts.values() if c), sum(counts.values())

    times = [t for t in event_times(trace)[1:-1] if not any(a <= t < b for a, b in own)]
    return max(times or [0], key=score)


async def run_demo(window: Any, demo: str, variant: str, **params: float) -> Any:
    window.select_target(demo, variant)
    window.controls.variant_switch.button(variant).click()
    for name, value in params.items():
        window.controls.spins[name].setValue(value)
    await asyncio.sleep(0.3)
    finished = asyncio.ensure_future(wait_for(window.runFinished))
    await asyncio.sleep(0)
    window.run()
    (result,) = await finished
    await asyncio.sleep(0.4)
    return result


def main(out_dir: str) -> int:
    """Run the scripted tour inside the app's own ``exec()`` (no nested event loops, so what
    the watchdog sees is the app as a user runs it)."""
    from loopviz.ui.app import attach_loop, close_loop, ensure_app, make_window
    from loopviz.ui.settings import AppSettings

    os.makedirs(out_dir, exist_ok=True)
    app = ensure_app()
    loop = attach_loop(app)
    tmp = tempfile.TemporaryDirectory(prefix="loopviz-screens-")
    window = make_window(loop, AppSettings(QSettings(os.path.join(tmp.name, "s.ini"),
                                                     QSettings.Format.IniFormat)))
    window.resize(*SIZE)
    window.show()
    failed: list[BaseException] = []

    async def tour() -> None:
        try:
            await _tour(window, out_dir)
        except BaseException as exc:  # reported after the app has quit
            failed.append(exc)
        finally:
            app.quit()

    task = loop.create_task(tour())
    try:
        app.exec()
    finally:
        window.close()
        close_loop(loop)
        tmp.cleanup()
    del task
    if failed:
        raise failed[0]
    return 0


async def _tour(window: Any, out_dir: str) -> None:
    teaching = window.teaching
    await asyncio.sleep(0.6)
    # 1. scrubbing: a replay paused mid-run, async stacks at the cursor
    result = await run_demo(window, "sequential-vs-gather", "fixed", fetches=3, delay=1.0)
    trace = result.trace
    (fetch,) = trace.tasks_named("fetch-2")
    (wait,) = trace.waits_of(fetch.id)
    teaching.play(1.0)
    teaching.toggle_replay()
    teaching.cursor.set_time((wait.start_ns + wait.ready_ns) // 2)
    window.timeline.select_task(fetch.id)
    await asyncio.sleep(0.3)
    window.save_screenshot(os.path.join(out_dir, "teaching-scrub.png"))
    teaching.show_end()

    # 2. the loop's queues at the busiest instant of a starvation run
    result = await run_demo(window, "starvation", "pitfall")
    teaching.cursor.set_time(busiest_instant(result.trace))
    await asyncio.sleep(0.3)
    window.save_screenshot(os.path.join(out_dir, "teaching-loop-queues.png"))

    # 3. side by side
    window.select_target("sequential-vs-gather", "pitfall")
    window.controls.spins["delay"].setValue(1.0)
    view = teaching.run_side_by_side()
    view.resize(1400, 760)
    await wait_for(view.finished)
    await asyncio.sleep(0.3)
    if not view.grab().save(os.path.join(out_dir, "teaching-side-by-side.png")):
        raise OSError("could not write the side-by-side screenshot")
    view.close()

    # 4. blocking-sleep in slow motion
    await run_demo(window, "blocking-sleep", "pitfall", block=1.0)
    window.resize(1280, 800)
    await asyncio.sleep(0.3)
    info = teaching.export_replay(os.path.join(out_dir, "blocking-slowmo.gif"), fps=10,
                               speed=0.25, max_width=960)
    print(f"{info.path}: {info.frames} frames, {info.size}, {info.bytes / 1e6:.2f} MB")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "assets"))
