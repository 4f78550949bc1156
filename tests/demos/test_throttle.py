"""throttle: a Semaphore(K) keeps at most K requests in flight; without it, all of them."""

from __future__ import annotations

from loopviz.demos.throttle import DEMO
from tests.demos.helpers import run_demo


def test_semaphore_never_lets_more_than_k_requests_run_at_once() -> None:
    r = run_demo("throttle", "fixed", jobs=8, limit=3, seconds=0.2)
    (finding,) = r.findings
    assert finding.ok, finding.text
    assert finding.data["jobs"] == 8
    assert 1 <= finding.data["peak"] <= 3
    assert finding.data["queued"] >= 8 - 3
    # Eight 0.2 s requests, three at a time, need at least three rounds.
    assert finding.data["total_s"] >= 3 * 0.2 * 0.9
    assert DEMO.question is not None
    assert DEMO.question.answer(r.trace, "fixed", limit=3) == 1


def test_without_a_semaphore_every_request_runs_at_once() -> None:
    r = run_demo("throttle", "pitfall", jobs=8, limit=3, seconds=0.2)
    (finding,) = r.findings
    assert finding.ok, finding.text
    assert finding.data["peak"] > 3
    assert finding.data["peak"] == 8
    assert finding.data["total_s"] < 2 * 0.2
    assert r.status == "finished"


def test_the_summary_says_in_flight_at_most_k_beside_the_tasks_alive() -> None:
    r = run_demo("throttle", "fixed", jobs=8, limit=3, seconds=0.2)
    summary = r.summary()
    assert summary["in_flight_max"] == 3 and summary["max_concurrency"] == 9  # 8 jobs + main
    (finding,) = r.findings
    assert "in flight at most 3" in finding.text and "9 tasks were alive" in finding.text
