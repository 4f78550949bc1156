"""How a run ends when the program does something unusual: each case runs ``loopviz run`` in a
subprocess with a bounded time and checks the exit code, the summary's status and stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).parent / "endings"


Run = subprocess.CompletedProcess


def run_json(program: str, *args: str, timeout: float = 60) -> tuple[dict, Run]:
    proc = subprocess.run([sys.executable, "-m", "loopviz", "run", str(PROGRAMS / program),
                           "--json", *args], capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout), proc


def test_a_script_that_makes_widgets_gets_a_real_application():
    summary, proc = run_json("widgets_script.py")
    assert summary["status"] == "finished", summary
    assert "QWidget" not in proc.stderr


@pytest.mark.parametrize("loop", ["qt", "asyncio"])
def test_loop_stop_by_the_program_is_a_result_not_a_failure(loop):
    summary, proc = run_json("stops_loop.py", "--loop", loop)
    assert summary["status"] == "stopped"
    assert "loop.stop()" in summary["error"]
    assert summary["outcomes"] == {"cancelled": 1}
    assert "loopviz" not in proc.stderr, proc.stderr  # no failure, no teardown noise
