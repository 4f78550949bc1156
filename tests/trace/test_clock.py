"""The trace's time 0 is when recording starts: loopviz's own start-up is not the program's."""

from __future__ import annotations

import asyncio
import time

from loopviz.recording import Recording
from loopviz.remote.serving import open_server
from loopviz.trace import Recorder

STARTUP_S = 0.3  # what making the loop and importing Qt take, stood in for by a sleep


async def _program() -> None:
    await asyncio.sleep(0)


def _record(recorder: Recorder) -> int:
    """Run a tiny program under a recording on ``recorder``; its main task's creation time."""
    async def main() -> int:
        recording = Recording(probes=False, recorder=recorder, diagnostics=False).start()
        try:
            await asyncio.get_running_loop().create_task(_program())
        finally:
            trace = recording.stop()
        return min(task.created_ns for task in trace.tasks)

    return asyncio.run(main())


def test_a_recorder_made_before_start_up_measures_from_the_recording_start() -> None:
    recorder = Recorder()
    time.sleep(STARTUP_S)
    assert _record(recorder) < STARTUP_S * 1e9 / 2


def test_a_recorder_with_records_keeps_its_time_origin() -> None:
    recorder = Recorder()
    recorder.loop_lag.append((time.monotonic_ns(), 0))
    t0 = recorder.t0
    time.sleep(0.01)
    recorder.start_clock()
    assert recorder.t0 == t0


def test_a_served_recorder_keeps_the_clock_its_viewers_were_given() -> None:
    recorder = Recorder()
    server = open_server(recorder, "127.0.0.1:0").start()
    try:
        time.sleep(STARTUP_S)
        assert _record(recorder) >= STARTUP_S * 1e9
    finally:
        server.stop()
