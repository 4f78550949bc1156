"""gather-errors: both failing calls end with their exception; TaskGroup cancels the slow
sibling at the failure, gather lets it run on."""

from __future__ import annotations

import pytest

from loopviz.demos import FIXED, PITFALL

from .helpers import run_demo


@pytest.fixture(scope="module")
def runs():
    return {v: run_demo("gather_errors", v, outage_at=0.3, slow=0.8) for v in (PITFALL, FIXED)}


def _outcomes(trace):
    return {t.name: t.outcome for t in trace.tasks_named("call-")}


@pytest.mark.parametrize("variant", [PITFALL, FIXED])
def test_both_failing_calls_end_with_their_exception(runs, variant) -> None:
    trace = runs[variant].trace
    failed = {t.name: t.exception for t in trace.tasks_named("call-") if t.outcome == "exception"}
    assert set(failed) == {"call-orders", "call-stock"}
    assert failed["call-orders"].startswith("ValueError")
    assert failed["call-stock"].startswith("ConnectionError")


def test_gather_reports_one_error_and_cancels_nothing(runs) -> None:
    r = runs[PITFALL]
    assert len(r.value) == 1
    assert _outcomes(r.trace)["call-reports"] == "result"


def test_task_group_cancels_the_sibling_and_reports_every_error(runs) -> None:
    r = runs[FIXED]
    assert sorted(e.split("(")[0] for e in r.value) == ["ConnectionError", "ValueError"]
    assert _outcomes(r.trace) == {"call-users": "result", "call-orders": "exception",
                                  "call-stock": "exception", "call-reports": "cancelled"}
    assert not r.trace.diagnostics_of("exception-never-retrieved")
