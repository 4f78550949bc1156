"""The UI thread waiting on work only it can do: named as a deadlock, recovered by timeout."""

from __future__ import annotations

import asyncio

import pytest

from tests.instrument.conftest import culprit_line, kinds, program_blocks, run_program


def test_result_of_a_coroutine_sent_to_the_same_loop_is_a_deadlock(loop_kind: str) -> None:
    result = run_program("deadlock_future", loop=loop_kind)
    assert kinds(result) == ["deadlock"]
    [diag] = result.trace.diagnostics
    assert diag.line == culprit_line("deadlock_future")
    assert "fut.result" in diag.message and "work()" in diag.message
    assert "run_coroutine_threadsafe" in diag.message
    assert result.status == "finished" and result.value == 42  # the timeout recovered it
    [block] = program_blocks(result)  # still drawn as a block, explained by the deadlock
    assert block.line == diag.line


def test_event_whose_setter_is_a_loop_callback_is_a_deadlock() -> None:
    result = run_program("deadlock_event")
    assert kinds(result) == ["deadlock"]
    [diag] = result.trace.diagnostics
    assert diag.line == culprit_line("deadlock_event")
    assert "done.wait" in diag.message and "Event.set" in diag.message
    assert result.value is True


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_run_until_complete_inside_the_running_loop_is_a_nested_run(loop_kind: str) -> None:
    result = run_program("nested_run", loop=loop_kind)
    assert kinds(result) == ["nested-run"]
    [diag] = result.trace.diagnostics
    assert diag.line == culprit_line("nested_run")
    assert "loop.run_until_complete(step)" in diag.message
    assert result.status == "finished"
    assert asyncio.run.__module__ == "asyncio.runners"  # put back
