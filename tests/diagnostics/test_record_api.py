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
