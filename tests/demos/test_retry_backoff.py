"""retry-backoff: failed attempts, then waits that double; retrying at once hammers."""

from __future__ import annotations

import itertools

from loopviz.demos.retry_backoff import DEMO
from tests.demos.helpers import run_demo


def test_backoff_waits_double_after_each_failed_attempt() -> None:
    r = run_demo("retry_backoff", "fixed", outage=0.8, first_delay=0.1)
    (finding,) = r.findings
    assert finding.ok, finding.text
    data = finding.data
    assert data["failed"] >= 3 and data["succeeded"] == 1
    assert data["waits"] == data["failed"]
    waits = [data[f"wait_{i + 1}_s"] for i in range(int(data["waits"]))]
    assert waits[0] >= 0.1 * 0.95
    for before, after in itertools.pairwise(waits):
        assert 1.6 <= after / before <= 2.5
    failed = [t for t in r.trace.tasks_named("attempt-") if t.outcome == "exception"]
    assert all((t.exception or "").startswith("ConnectionError") for t in failed)
    assert not r.trace.diagnostics_of("exception-never-retrieved")
    assert r.status == "finished" and r.value == "200 OK"


def test_retrying_at_once_makes_many_more_attempts_and_no_waits() -> None:
    fixed = run_demo("retry_backoff", "fixed", outage=0.8, first_delay=0.1).findings[0]
    pitfall = run_demo("retry_backoff", "pitfall", outage=0.8, first_delay=0.1).findings[0]
    assert pitfall.ok, pitfall.text
    assert pitfall.data["waits"] == 0
    assert pitfall.data["attempts"] > 2 * fixed.data["attempts"]
    assert DEMO.question is not None
