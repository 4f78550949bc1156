"""After ``await``, a coroutine resumes on the loop's thread: with a Qt loop, the UI thread.

Slow work goes to a worker thread with ``asyncio.to_thread``; the line after the ``await`` runs
back on the UI thread, so it may touch widgets directly.
"""

from __future__ import annotations

import asyncio
import threading
import time

from loopviz.demos import evidence as ev
from loopviz.demos import widgets
from loopviz.demos.base import DEFAULT, Demo, Param
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration


def load_report(seconds: float) -> str:
    time.sleep(seconds)  # slow, blocking I/O: fine here, we are on a worker thread
    return f"report loaded on {threading.current_thread().name}"


async def refresh(label: widgets.QLabel, seconds: float) -> None:
    text = await asyncio.to_thread(load_report, seconds)  # the UI thread stays free meanwhile
    # Resumed on the loop's thread, which is the UI thread: updating the widget is safe.
    widgets.set_status(label, f"{text}, shown on {threading.current_thread().name}")


async def main(variant: str, seconds: float = 0.6) -> str:
    label = widgets.status_label("loading...")
    try:
        await asyncio.create_task(refresh(label, seconds), name="refresh")
        await asyncio.sleep(0.3)  # leave the result on screen a moment
        return label.text()
    finally:
        widgets.close_widget(label)


# ---- what the run proved ------------------------------------------------------------------
def check(trace: Trace, variant: str, seconds: float = 0.6) -> list[Finding]:
    ui = trace.ui_thread()
    task = ev.first_task(trace, "refresh")
    jobs = ev.jobs_named(trace, "load_report")
    if task is None or not jobs:
        return [Finding("no refresh task or load_report job was recorded", ok=False)]
    job = jobs[0]
    out = [Finding(
        f"load_report ran {duration((job.end_ns or 0) - (job.start_ns or 0))} on "
        f"{ev.thread_name(trace, job.thread)}",
        ok=job.thread is not None and job.thread != ui,
        data={"job_s": ((job.end_ns or 0) - (job.start_ns or 0)) / 1e9})]
    resumed = next((w.end_ns for w in trace.waits_of(task.id)
                    if w.kind == "executor" and w.end_ns), None)
    after = [s for s in trace.steps_of(task.id) if resumed is not None and s.start_ns >= resumed]
    if after:
        out.append(Finding(
            f"the step after 'await to_thread' ran on {ev.thread_name(trace, after[0].thread)} "
            f"(the UI thread), {duration(after[0].start_ns - (job.end_ns or 0))} after the job",
            ok=after[0].thread == ui))
    else:
        out.append(Finding("refresh never resumed after its executor wait", ok=False))
    wrong = trace.diagnostics_of("wrong-thread-ui")
    out.append(Finding(f"{len(wrong)} widget updates from a wrong thread", ok=not wrong))
    return out


DEMO = Demo(
    id="ui-context",
    title="Back on the UI thread",
    category="Threads and the UI thread",
    summary="After await, a coroutine resumes on the loop's thread: with Qt, the UI thread.",
    explanation=(
        "refresh sends load_report to a worker thread and awaits it. Look at the lanes: the "
        "job runs on an asyncio_N worker lane while refresh waits (kind executor) and the UI "
        "thread stays idle and responsive; then refresh's next step runs on the UI thread, "
        "where it updates the label directly. No diagnostic: every widget update happened on "
        "the thread that owns the widget."
    ),
    csharp=(
        "C#: await captures the SynchronizationContext, so in WPF/WinForms the continuation "
        "resumes on the UI thread (unless ConfigureAwait(false)). Python has no "
        "SynchronizationContext: a coroutine always resumes on the thread running its event "
        "loop. With a Qt-integrated loop (qasync, loopviz) that loop *is* the UI thread, so "
        "you get the same guarantee, always, and there is no ConfigureAwait to opt out."
    ),
    main=main,
    check=check,
    variants=(DEFAULT,),
    params=(Param("seconds", "load time", 0.6, 0.1, 2.0, 0.1, "s"),),
    needs_widgets=True,
)
