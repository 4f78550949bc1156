"""Widgets belong to the UI thread: update them from a worker and Qt will not even warn you.

A worker thread that calls ``label.setText`` directly races the UI thread, which may be
painting that very label: it usually works, until it crashes. Hand the update over instead:
``loop.call_soon_threadsafe`` (or a Qt signal) runs it on the UI thread.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from loopviz.demos import evidence as ev
from loopviz.demos import widgets
from loopviz.demos.base import PITFALL, Demo, Param
from loopviz.trace import Finding, Trace


def download(parts: int, report: Callable[[str], None]) -> None:
    # Runs on a worker thread: blocking work, with progress reports along the way.
    for part in range(1, parts + 1):
        time.sleep(0.15)
        report(f"downloaded {part} of {parts}")


async def show_progress(label: widgets.QLabel, updates: asyncio.Queue[str | None]) -> None:
    # A task on the loop, that is on the UI thread: the one place widgets may be touched.
    while (text := await updates.get()) is not None:
        widgets.set_status(label, text)


async def main(variant: str, parts: int = 4) -> str:
    loop = asyncio.get_running_loop()
    label = widgets.status_label("starting...")
    try:
        if variant == PITFALL:
            def report(text: str) -> None:
                widgets.set_status(label, text)  # called on the worker thread: wrong thread!

            await asyncio.to_thread(download, parts, report)
        else:
            updates: asyncio.Queue[str | None] = asyncio.Queue()

            def report(text: str) -> None:
                loop.call_soon_threadsafe(updates.put_nowait, text)  # hand it to the UI thread

            shower = asyncio.create_task(show_progress(label, updates), name="show-progress")
            await asyncio.to_thread(download, parts, report)
            loop.call_soon_threadsafe(updates.put_nowait, None)  # no more updates
            await shower
        await asyncio.sleep(0.2)
        return label.text()
    finally:
        widgets.close_widget(label)


# ---- what the run proved ------------------------------------------------------------------
def check(trace: Trace, variant: str, parts: int = 4) -> list[Finding]:
    ui = trace.ui_thread()
    wrong = trace.diagnostics_of("wrong-thread-ui")
    out = []
    jobs = ev.jobs_named(trace, "download")
    if jobs:
        out.append(Finding(f"download ran on {ev.thread_name(trace, jobs[0].thread)}",
                           ok=jobs[0].thread not in (None, ui)))
    if variant == PITFALL:
        touches = sum(d.count for d in wrong)  # one diagnostic per line, counting its calls
        text = f"{touches} widget update(s) from a wrong thread"
        if wrong:
            text += f"; {wrong[0].message}"
        file, line = ev.source_line(main, "widgets.set_status(label, text)  #")
        out.append(Finding(text, ok=touches == parts and all(
            ev.same_file(d.file, file) and d.line == line for d in wrong),
            data={"wrong_thread": touches,
                  **({"at_ns": wrong[0].t_ns} if wrong else {})}))
    else:
        shower = ev.first_task(trace, "show-progress")
        steps = trace.steps_of(shower.id) if shower else []
        threads = {ev.thread_name(trace, s.thread) for s in steps}
        out.append(Finding(
            f"{len(wrong)} wrong-thread-ui diagnostics; show-progress updated the label in "
            f"{len(steps)} steps, all on {', '.join(sorted(threads)) or 'no thread'}",
            ok=not wrong and len(steps) >= parts and all(s.thread == ui for s in steps),
            data={"wrong_thread": len(wrong), "ui_steps": len(steps)}))
    return out


DEMO = Demo(
    id="wrong-thread-ui",
    title="Updating the UI from the wrong thread",
    category="Threads and the UI thread",
    summary="Only the UI thread may touch widgets; from a worker, hand the update over.",
    explanation=(
        "download runs on a worker thread and reports progress four times. In the pitfall "
        "its report sets the label's text right there, on the worker: the label does change "
        "and Qt says nothing, but each call is a data race with the UI thread's painting; "
        "loopviz reports a wrong-thread-ui diagnostic for each, naming the thread and the "
        "line. In the fixed variant report only posts the text with call_soon_threadsafe; "
        "the show-progress task, running on the UI thread, applies it: watch its short steps "
        "on the UI lane, interleaved with the worker's job."
    ),
    csharp=(
        "C#: after ConfigureAwait(false), or inside Task.Run, you are off the UI thread and "
        "must not touch controls (WinForms throws, WPF throws, others corrupt); marshal back "
        "with Dispatcher.Invoke/SynchronizationContext.Post, or IProgress<T>. Python/Qt: no "
        "exception at all, just undefined behaviour; marshal back with "
        "loop.call_soon_threadsafe, a Qt signal (queued connection), or simply return the "
        "result and update after the await (see 'Back on the UI thread')."
    ),
    main=main,
    check=check,
    params=(Param("parts", "progress reports", 4, 1, 10),),
    needs_widgets=True,
)
