"""Diagnostics in a user's own program through ``loopviz.record()`` on plain asyncio."""

from __future__ import annotations

import asyncio
import sys
import time

import loopviz
from loopviz.instrument.report import active, report_diagnostic


def test_record_gives_blocks_and_diagnostics_on_plain_asyncio() -> None:
    depth = sys.get_coroutine_origin_tracking_depth()

    async def main() -> loopviz.recording.Recording:
        with loopviz.record() as rec:
            await asyncio.sleep(0.03)
            time.sleep(0.2)  # the line the block must name
            await asyncio.sleep(0.03)
        return rec

    rec = asyncio.run(main())
    [block] = rec.trace.blocks
    assert block.function == "time.sleep" and block.file == __file__
    assert [d.kind for d in rec.trace.diagnostics] == ["blocked-loop"]
    assert active() == () and sys.get_coroutine_origin_tracking_depth() == depth


def test_report_diagnostic_writes_to_the_active_recording_with_the_callers_line() -> None:
    async def main() -> loopviz.recording.Recording:
        with loopviz.record(probes=False) as rec:
            report_diagnostic("wrong-thread-ui", "a demo helper saw it")
        return rec

    rec = asyncio.run(main())
    [diag] = rec.trace.diagnostics
    assert (diag.kind, diag.message, diag.file) == ("wrong-thread-ui", "a demo helper saw it",
                                                    __file__)
    assert diag.line > 0


def test_the_task_that_starts_recording_keeps_nothing_of_its_sleeps_and_threads() -> None:
    """The task that calls record() (or serve()) predates the instrumentation: its steps are
    not recorded, so nothing may be remembered for them either (a server's main loop would
    otherwise grow by one entry per sleep, forever)."""

    async def main() -> tuple[int, int, int]:
        with loopviz.record(probes=False) as rec:
            for _ in range(200):
                await asyncio.sleep(0.0001)
            for _ in range(20):
                await asyncio.to_thread(time.sleep, 0)
            tracker = rec.tracker
            assert tracker is not None
            await asyncio.create_task(asyncio.sleep(0.001))  # an instrumented one, for contrast
            return len(tracker.sleep_dues), len(tracker.executor_jobs), len(rec.trace.jobs)

    sleeps, futures, jobs = asyncio.run(main())
    assert (sleeps, futures) == (0, 0)
    assert jobs == 20, "the thread work itself is still recorded"
