"""Lost work: each reported once, with its line, at the moment it is certain."""

from __future__ import annotations

import sys
import warnings

import pytest

from tests.instrument.conftest import culprit_line, kinds, run_program

UNAWAITED = "ignore:coroutine .* was never awaited:RuntimeWarning"


def test_fire_and_forget_failure_is_reported_once_with_its_line(loop_kind: str) -> None:
    result = run_program("fire_and_forget", loop=loop_kind)
    assert kinds(result) == ["exception-never-retrieved"]
    [diag] = result.trace.diagnostics
    assert diag.line == culprit_line("fire_and_forget")
    assert "ValueError: lost" in diag.message
    failed = next(t for t in result.trace.tasks if t.outcome == "exception")
    # reported within the grace of the failure, long before the run ended (no GC needed)
    assert diag.t_ns - failed.ended_ns < 0.45e9
    assert diag.t_ns < result.trace.duration_ns - 0.1e9


def test_failure_retrieved_by_a_done_callback_is_not_reported() -> None:
    result = run_program("fire_and_forget_fixed")
    assert kinds(result) == [] and result.value == 1


@pytest.mark.filterwarnings(UNAWAITED)
def test_never_awaited_coroutine_is_reported_once_with_its_line(loop_kind: str) -> None:
    depth = sys.get_coroutine_origin_tracking_depth()
    hook = warnings._warn_unawaited_coroutine  # type: ignore[attr-defined]
    result = run_program("missing_await", loop=loop_kind)
    assert kinds(result) == ["never-awaited"]
    [diag] = result.trace.diagnostics
    assert diag.line == culprit_line("missing_await")
    assert "save()" in diag.message
    assert sys.get_coroutine_origin_tracking_depth() == depth
    assert warnings._warn_unawaited_coroutine is hook  # type: ignore[attr-defined]


@pytest.mark.filterwarnings(UNAWAITED)
@pytest.mark.parametrize("program", ["missing_await_returned", "missing_await_library",
                                     "missing_await_rebound"])
def test_never_awaited_coroutine_lost_away_from_its_line_still_blames_its_line(
        program: str) -> None:
    result = run_program(program, loop="asyncio")
    assert kinds(result) == ["never-awaited"]
    assert result.trace.diagnostics[0].line == culprit_line(program)


def test_catching_never_awaited_costs_no_coroutine_creation() -> None:
    """Origin tracking would capture frames on every coroutine created (each asyncio.sleep
    too): the diagnostics leave it off."""
    before = sys.get_coroutine_origin_tracking_depth()
    assert run_program("origin_depth", loop="asyncio").value == before


def test_task_collected_while_pending_is_reported() -> None:
    result = run_program("collected_pending")
    # gc.collect() over a test process's heap can itself block the UI past the threshold
    assert [k for k in kinds(result) if k != "blocked-loop"] == ["task-collected-pending"]
    [diag] = [d for d in result.trace.diagnostics if d.kind == "task-collected-pending"]
    assert diag.line == culprit_line("collected_pending")
    assert "wait_forever" in diag.message
