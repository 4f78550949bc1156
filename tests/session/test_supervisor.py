"""The supervising parent of ``loopviz run --timeout``: whatever the timing, one summary.

These tests run a stand-in for the child (a tiny script speaking the supervisor's pipe
protocol) so the moment it reports is chosen, not raced."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from loopviz.session import supervisor

# Reports "started", waits for the parent's SIGUSR2 (its stack dump request at the kill
# deadline), then ends its run after all: "ended", its own summary on stdout, "done 0".
ENDS_AT_THE_DEADLINE = textwrap.dedent("""
    import os, signal, sys, threading
    status = int(os.environ["LOOPVIZ_SUPERVISOR"].split(":")[0])
    os.write(status, f"started {threading.main_thread().ident}\\n".encode())
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
    signal.sigwait({signal.SIGUSR2})
    os.write(status, b"ended\\n")
    print("CHILD SUMMARY", flush=True)
    os.write(status, b"done 0\\n")
""")

# Never reports an end (set up as loopviz's own child is: SIGUSR2 dumps its stacks): the
# parent must kill it and print the summary itself.
NEVER_ENDS = textwrap.dedent("""
    import time
    from loopviz.session import supervisor
    supervisor.child_setup()
    time.sleep(60)
""")


def _supervise(tmp_path: Path, script: str, monkeypatch: pytest.MonkeyPatch,
               capfd: pytest.CaptureFixture[str]) -> tuple[supervisor.Outcome, str]:
    monkeypatch.setattr(supervisor, "KILL_AFTER_S", 0.5)
    child = tmp_path / "child.py"
    child.write_text(script)
    outcome = supervisor.supervise([], 0.2, target="prog.py", variant=None,
                                   command=[sys.executable, str(child)])
    return outcome, capfd.readouterr().out


@pytest.mark.skipif(not supervisor.can_supervise(), reason="POSIX only")
def test_a_child_that_ends_while_its_stacks_are_dumped_prints_the_only_summary(
        tmp_path, monkeypatch, capfd):
    outcome, out = _supervise(tmp_path, ENDS_AT_THE_DEADLINE, monkeypatch, capfd)
    assert outcome.summary is None and outcome.code == 0
    assert out.count("CHILD SUMMARY") == 1


@pytest.mark.skipif(not supervisor.can_supervise(), reason="POSIX only")
def test_a_child_that_never_ends_is_killed_and_summarised_by_the_parent(
        tmp_path, monkeypatch, capfd):
    outcome, _ = _supervise(tmp_path, NEVER_ENDS, monkeypatch, capfd)
    assert outcome.summary is not None and outcome.summary["status"] == "timeout"
    assert "killed at the time limit" in outcome.summary["error"]
