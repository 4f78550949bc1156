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
