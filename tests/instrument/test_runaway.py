"""Runaway code is aborted past the limit; the app (and the next run) carry on."""

from __future__ import annotations

import signal

from tests.instrument.conftest import culprit_line, kinds, program_blocks, run_program


def test_busy_loop_is_aborted_within_the_limit_and_the_next_run_is_normal(
        loop_kind: str) -> None:
    before = signal.getsignal(signal.SIGUSR1)
    result = run_program("runaway_spin", loop=loop_kind, runaway_limit_s=0.5)
    assert kinds(result) == ["runaway-aborted"]
    [diag] = result.trace.diagnostics
    line = culprit_line("runaway_spin")
    assert diag.line in (line - 1, line)  # the loop's two lines: the most sampled one wins
    assert result.status == "raised" and "RunawayAborted" in (result.error or "")
    [block] = program_blocks(result)
    secs = (block.end_ns - block.start_ns) / 1e9
    assert 0.5 <= secs < 3.0
    assert signal.getsignal(signal.SIGUSR1) == before  # handler put back

    again = run_program("sleep_block", loop=loop_kind)
    assert again.status == "finished" and kinds(again) == ["blocked-loop"]


def test_blocking_sleep_past_the_limit_is_interrupted() -> None:
    result = run_program("runaway_sleep", runaway_limit_s=0.4)
    assert kinds(result) == ["runaway-aborted"]
    assert result.trace.diagnostics[0].line == culprit_line("runaway_sleep")
    assert "time.sleep" in result.trace.diagnostics[0].message
    assert result.trace.duration_ns < 5e9
