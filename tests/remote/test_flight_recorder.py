"""The flight recorder: a run's --trace file holds the trace up to ~100 ms before however the
run ends, even where loopviz never gets to save it (os._exit, SIGABRT, kill -9, a time limit
killing a program stuck in C); a run that ends normally leaves a version 2 file."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loopviz.export import load_trace
from loopviz.export.framing import MAGIC
from loopviz.export.spool import ENDING, SPOOL_MAGIC

PROGRAM = Path(__file__).parents[1] / "session" / "endings" / "ends_abruptly.py"


def start(tmp_path: Path, how: str, loop: str = "qt") -> tuple[subprocess.Popen, Path, Path]:
    trace, marker = tmp_path / "t.loopviz", tmp_path / "ticking"
    proc = subprocess.Popen([sys.executable, "-m", "loopviz", "run", "--loop", loop,
                             "--trace", str(trace), str(PROGRAM), how, str(marker)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, trace, marker


def wait_for(marker: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marker.exists(), proc.communicate(timeout=30)


def assert_spooled_until_the_end(trace_path: Path, after_marker_s: float) -> None:
    assert trace_path.read_bytes()[:len(SPOOL_MAGIC)] == SPOOL_MAGIC
    trace = load_trace(trace_path)
    assert trace.meta["spool"]["ending"] == ENDING
    assert trace.meta["target"].endswith("ends_abruptly.py")
    ticker = trace.tasks_named("ticker")[0]
    ticks = [s for s in trace.steps if s.task == ticker.id]
    # the ticks after the marker (written 0.3 s in) reached the file, to ~0.1 s of the end
    assert ticks[-1].end_ns > (0.3 + after_marker_s - 0.25) * 1e9, ticks[-1]
    assert len(ticks) > 10


@pytest.mark.parametrize("loop", ["qt", "asyncio"])
def test_os_exit_leaves_the_trace_up_to_its_last_flush(tmp_path, loop):
    proc, trace, _ = start(tmp_path, "os._exit", loop)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err
    assert_spooled_until_the_end(trace, 0.5)


def test_an_abort_leaves_the_trace_up_to_its_last_flush(tmp_path):
    proc, trace, _ = start(tmp_path, "abort")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGABRT, err
    assert_spooled_until_the_end(trace, 0.5)


def test_kill_9_leaves_the_trace_up_to_its_last_flush(tmp_path):
    proc, trace, marker = start(tmp_path, "wait")
    wait_for(marker, proc)
    time.sleep(0.6)
    proc.kill()
    proc.communicate(timeout=30)
    assert_spooled_until_the_end(trace, 0.6)


def test_a_run_that_ends_normally_leaves_a_version_2_file_and_no_spool(tmp_path):
    trace = tmp_path / "t.loopviz"
    proc = subprocess.run([sys.executable, "-m", "loopviz", "run", "--trace", str(trace),
                           "interleaving", "--param", "rounds=1"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert trace.read_bytes()[:len(MAGIC)] == MAGIC
    assert "spool" not in load_trace(trace).meta
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.loopviz"]


def test_bad_input_leaves_no_file(tmp_path):
    trace = tmp_path / "t.loopviz"
    missing = tmp_path / "missing.py"
    proc = subprocess.run([sys.executable, "-m", "loopviz", "run", "--trace", str(trace),
                           str(missing)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert list(tmp_path.iterdir()) == []
