"""A process the OS did not run is not a program that blocked its loop: the heartbeat's gap is
real, but none of the program's code ran in it, so nothing is blamed on the program (on a busy
machine such gaps made clean runs report 'UI thread blocked 0.14 s; no sample caught where')."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

from loopviz.export import load_trace

PROGRAM = textwrap.dedent("""
    import asyncio, os, sys

    async def main():
        open(sys.argv[1], "w").close()  # running: the test may stop us now
        for _ in range(150):
            await asyncio.sleep(0.01)
        return "done"
""")


def test_a_process_the_os_stopped_for_a_while_is_not_a_blocked_loop(tmp_path) -> None:
    script, ready, trace = tmp_path / "ticks.py", tmp_path / "ready", tmp_path / "t.json"
    script.write_text(PROGRAM)
    proc = subprocess.Popen([sys.executable, "-m", "loopviz", "run", "--json", "--trace",
                             str(trace), str(script), str(ready)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert ready.exists(), proc.communicate()
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGSTOP)  # the whole process, as a busy machine may
        time.sleep(0.4)
        os.kill(proc.pid, signal.SIGCONT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    summary = json.loads(out)
    assert summary["status"] == "finished"
    loaded = load_trace(trace)
    gaps = [iv for _t, iv in loaded.ui_heartbeat if iv >= 0.3e9]
    assert gaps, "the stop shows as a heartbeat gap"
    assert loaded.blocks == () and [d.kind for d in loaded.diagnostics] == []


def test_a_short_c_call_holding_the_gil_is_still_a_block() -> None:
    """It leaves no sample either (the watchdog needs the GIL, the backstop waits 0.3 s), but
    the UI thread used the CPU all along: a block of the program's, with no line to blame."""
    from tests.diagnostics.conftest import kinds, program_blocks, run_program

    result = run_program("short_c_call")
    assert kinds(result) == ["blocked-loop"]
    [block] = program_blocks(result)
    assert block.end_ns - block.start_ns >= 0.05e9


def test_a_stall_by_the_garbage_collector_is_blamed_on_it(loop_kind: str) -> None:
    """A collection holds the GIL, so no sample sees it: without its own callbacks it would
    read 'no sample caught where' (the soak test's big heap made 50-130 ms ones)."""
    from tests.diagnostics.conftest import run_program

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
