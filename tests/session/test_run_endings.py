"""How a run ends when the program does something unusual: each case runs ``loopviz run`` in a
subprocess with a bounded time and checks the exit code, the summary's status and stderr."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loopviz.export import load_trace

PROGRAMS = Path(__file__).parent / "endings"


Run = subprocess.CompletedProcess


def run_json(program: str, *options: str, timeout: float = 60,
             code: int = 0) -> tuple[dict, Run]:
    """``loopviz run --json OPTIONS PROGRAM``: its summary, and the process."""
    proc = subprocess.run([sys.executable, "-m", "loopviz", "run", "--json", *options,
                           str(PROGRAMS / program)], capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == code, proc.stderr[-3000:]
    return json.loads(proc.stdout), proc


def test_a_script_that_makes_widgets_gets_a_real_application():
    summary, proc = run_json("widgets_script.py")
    assert summary["status"] == "finished", summary
    assert "QWidget" not in proc.stderr


@pytest.mark.parametrize("loop", ["qt", "asyncio"])
def test_loop_stop_by_the_program_is_its_result_not_a_loopviz_failure(loop):
    # As `python stops_loop.py` would: run_until_complete raises, the program exits with 1.
    summary, proc = run_json("stops_loop.py", "--loop", loop, code=1)
    assert summary["status"] == "raised"
    assert "Event loop stopped before Future completed" in summary["error"]
    assert "inside loopviz" not in proc.stderr and "loopviz:" not in proc.stderr


# ---- the time limit holds, whatever the program does ----------------------------------------
LIMIT_S = 1.0
BOUND_S = LIMIT_S + 5  # the contract: over within N + 5 s


def marked_line(program: str) -> str:
    lines = (PROGRAMS / program).read_text().splitlines()
    return f"{program}:{next(i for i, t in enumerate(lines, 1) if '<- where' in t)}"


@pytest.mark.parametrize("program, killed", [
    ("swallows_cancel.py", False),  # catches CancelledError and goes on
    ("serves_forever.py", False),  # idle in its own asyncio.run: where its main task waits
    ("await_each_other.py", False),  # cancel() recurses until RecursionError
    ("own_sigusr1_then_spins.py", False),  # replaced the handler the runaway guard uses
    ("swallows_everything.py", False),  # catches even what loopviz raises into it
    ("holds_the_gil.py", True),  # a C call that never lets go: the supervisor ends it
])
def test_the_time_limit_ends_the_run_and_says_where(tmp_path, program, killed):
    trace = tmp_path / "t.loopviz.json"
    started = time.monotonic()
    summary, proc = run_json(program, "--timeout", str(LIMIT_S), "--trace", str(trace),
                             timeout=BOUND_S + 30, code=130)
    elapsed = time.monotonic() - started
    assert elapsed < BOUND_S, f"took {elapsed:.1f} s"
    assert summary["status"] == "timeout"
    assert summary["where"] == marked_line(program), summary
    saved = load_trace(trace)  # killed: the flight recorder's, up to the C call
    assert saved.meta["target"].endswith(program)
    assert len(saved.tasks) > 0 or killed  # the GIL taken in main's first step: no flush since
    # The others end in-process, unless a loaded machine delays their clean-up past the
    # supervisor's kill (4 s past the limit): then they too leave the spool, and say so.
    spooled = "spool" in saved.meta
    assert spooled or not killed
    loopviz_lines = [line for line in proc.stderr.splitlines() if line.startswith("loopviz")]
    if spooled:
        assert len(loopviz_lines) == 1 and "the trace until then is in" in loopviz_lines[0]
    else:
        assert loopviz_lines == [], proc.stderr


# ---- Ctrl-C and KeyboardInterrupt: exit 130, the trace up to then, no noise from loopviz ----
NOISE = ("QtHeartbeat", "Task was destroyed but it is pending", "was never awaited",
         "inside loopviz", "/loopviz/")  # the last: a frame of loopviz's in a traceback


@pytest.mark.parametrize("loop", ["qt", "asyncio"])
def test_ctrl_c_ends_the_run_within_a_second_and_keeps_the_trace(tmp_path, loop):
    trace, ready = tmp_path / "t.loopviz", tmp_path / "ticking"
    proc = subprocess.Popen([sys.executable, "-m", "loopviz", "run", "--json", "--loop", loop,
                             "--trace", str(trace), str(PROGRAMS / "ticks_until_interrupted.py"),
                             str(ready)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 60
    while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # some ticks recorded after the marker
    interrupted = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    took = time.monotonic() - interrupted
    assert proc.returncode == 130, err[-3000:]
    assert took < 1.0, f"Ctrl-C took {took:.2f} s to end the run"
    summary = json.loads(out)
    assert summary["status"] == "raised" and summary["error"] == "KeyboardInterrupt"
    saved = load_trace(trace)
    tickers = saved.tasks_named("ticker-")
    assert len(tickers) == 3 and all(t.outcome == "cancelled" for t in tickers)
    assert len(saved.steps) > 30 and saved.duration_ns > 0.4e9
    assert not [n for n in NOISE if n in err], err[-3000:]


@pytest.mark.parametrize("loop", ["qt", "asyncio"])
def test_keyboard_interrupt_raised_by_the_program_keeps_the_trace(tmp_path, loop):
    trace = tmp_path / "t.loopviz"
    summary, proc = run_json("raises_keyboard_interrupt.py", "--loop", loop, "--trace",
                             str(trace), code=130)
    assert summary["status"] == "raised" and summary["error"] == "KeyboardInterrupt"
    assert len(load_trace(trace).tasks) >= 3  # main and both works
    assert not [n for n in NOISE if n in proc.stderr], proc.stderr[-3000:]
    assert proc.stderr.rstrip().endswith("KeyboardInterrupt")  # the program's, as python's
