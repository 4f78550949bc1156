"""A process the OS did not run is not a program that blocked its loop: the heartbeat's gap is
real, but none of the program's code ran in it, so nothing is blamed on the program (on a busy
machine such gaps made clean runs report 'UI thread blocked 0.14 s; no sample caught where').

The judgement is tested on the watchdog's readings rather than by stopping a real run: a
process stopped past the faulthandler backstop's delay (0.3 s) can crash on resuming, when the
backstop's dump reads the frames of threads that run again (seen 1 run in 7 on 3.12)."""

from __future__ import annotations

import os
import re
import sys
import threading

import pytest

from loopviz.instrument.thread_cpu import ThreadCpu

MS = 1_000_000


def cpu_log(*readings: tuple[float, float]) -> ThreadCpu:
    """A ThreadCpu whose readings are (wall ms, the thread's CPU ms), as the watchdog's ticks
    would have taken them."""
    cpu = ThreadCpu.of(threading.get_ident())
    assert cpu is not None, "Linux can read a thread's CPU clock"
    for wall, used in readings:
        cpu._log.append((int(wall * MS), int(used * MS)))
    return cpu


def ticks(start: float, end: float, cpu_per_tick: float) -> list[tuple[float, float]]:
    return [(t, (t - start) / 5 * cpu_per_tick) for t in range(int(start), int(end) + 1, 5)]


def test_a_stall_the_watchdog_missed_too_with_no_cpu_used_is_the_process_not_run() -> None:
    # ticks every 5 ms, then nothing for 400 ms (SIGSTOP, a loaded machine), then ticks again
    stopped = cpu_log(*ticks(0, 100, 1.0), (505, 101), *ticks(510, 600, 1.0))
    assert stopped.unscheduled(100 * MS, 500 * MS)


def test_a_thread_blocked_in_a_call_that_releases_the_gil_is_a_block() -> None:
    # time.sleep(0.4) on the UI thread: no CPU, but the watchdog ticked all along
    sleeping = cpu_log(*ticks(0, 600, 0.0))
    assert not sleeping.unscheduled(100 * MS, 500 * MS)


def test_a_thread_seen_in_its_loops_own_wait_using_no_cpu_was_not_run() -> None:
    """The watchdog ticked all along and every sample found the UI thread in the loop's own
    wait (select, Qt's exec), yet the heartbeat came 60 ms late and the thread used no CPU:
    its wake-up was not run (a loaded machine), no line of the program's ran; a blocked thread
    is sampled in the program's call instead."""
    from loopviz.instrument.watchdog import EVENT_PROCESSING, Sample, Watchdog
    from loopviz.trace.recorder import Recorder

    in_qt = Sample(130 * MS, "", 0, EVENT_PROCESSING, "unknown", (), None, None)
    in_select = Sample(140 * MS, "/lib/selectors.py", 468, "EpollSelector.select", "loop", (),
                       None, None)
    for cpu_per_tick, blamed in [(0.0, False), (5.0, True)]:  # no CPU used, or all of it
        dog = Watchdog()
        dog._cpu = cpu_log(*ticks(0, 600, cpu_per_tick))
        dog.recorder, dog.ui_ident = Recorder(), 1
        dog._samples[100 * MS] = [in_qt, in_select]
        dog._finish(100 * MS, 160 * MS)
        assert (dog.unscheduled == []) == blamed and bool(dog.recorder.blocks) == blamed


def test_a_c_call_holding_the_gil_is_a_block() -> None:
    # the watchdog starved (no ticks), but the UI thread used the CPU all along
    busy = cpu_log(*ticks(0, 100, 1.0), (505, 500), *ticks(510, 600, 1.0))
    assert not busy.unscheduled(100 * MS, 500 * MS)


def test_a_short_c_call_holding_the_gil_is_still_a_block() -> None:
    """It leaves no sample either (the watchdog needs the GIL, the backstop waits 0.3 s), but
    the UI thread used the CPU all along: a block of the program's, with no line to blame."""
    from tests.instrument.conftest import kinds, program_blocks, run_program

    result = run_program("short_c_call")
    assert kinds(result) == ["blocked-loop"]
    [block] = program_blocks(result)
    assert block.end_ns - block.start_ns >= 0.05e9


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="3.13's collector does not reliably "
                    "make this program's next allocation one long pass (1 run in 2 in the suite)")
def test_a_stall_by_the_garbage_collector_is_blamed_on_it(loop_kind: str) -> None:
    """A collection holds the GIL, so no sample sees it: without its own callbacks it would
    read 'no sample caught where' (the soak test's big heap made 50-130 ms ones)."""
    from tests.instrument.conftest import run_program

    result = run_program("gc_pause", loop=loop_kind)
    gc_blocks = [b for b in result.trace.blocks if b.culprit == "gc"]
    # the deepest generation it collected: 2 here, 1 on 3.13, whose collector works in steps
    assert gc_blocks and re.fullmatch(r"Python's garbage collection \(generation [12]\)",
                                      gc_blocks[0].function)
    # the program's allocation that started it (its line, or Node.__init__'s on 3.13), when the
    # backstop's dump (0.3 s in) caught the thread
    assert gc_blocks[0].file == "" or os.path.basename(gc_blocks[0].file) == "gc_pause.py"
    said = f"by {gc_blocks[0].function}"
    assert any(said in d.message for d in result.trace.diagnostics if d.kind == "blocked-loop")
