"""first-completed: the fastest mirror wins; the losers end cancelled (fixed) or run on and
return answers nobody reads (pitfall)."""

from __future__ import annotations

import pytest

from loopviz.demos import FIXED, PITFALL
from loopviz.demos.first_completed import latency_of

from .helpers import run_demo

FASTEST = 0.15


@pytest.fixture(scope="module")
def runs():
    return {v: run_demo("first_completed", v, mirrors=3, fastest=FASTEST)
            for v in (PITFALL, FIXED)}


def _by_end(trace):
    return sorted(trace.tasks_named("mirror-"), key=lambda t: t.ended_ns)


@pytest.mark.parametrize("variant", [PITFALL, FIXED])
def test_the_fastest_mirror_wins(runs, variant) -> None:
    r = runs[variant]
    fastest = min(range(1, 4), key=lambda m: latency_of(m, 3, FASTEST))
    winner = _by_end(r.trace)[0]
    assert winner.name == f"mirror-{fastest}" and winner.outcome == "result"
    assert r.value == f"answer from mirror-{fastest}"


def test_losers_of_the_fixed_race_end_cancelled_right_after_the_winner(runs) -> None:
    winner, *losers = _by_end(runs[FIXED].trace)
    assert [t.outcome for t in losers] == ["cancelled", "cancelled"]
    assert all(t.ended_ns - winner.ended_ns < 0.1e9 for t in losers)


def test_losers_of_the_pitfall_race_run_to_their_own_latency(runs) -> None:
    winner, *losers = _by_end(runs[PITFALL].trace)
    assert [t.outcome for t in losers] == ["result", "result"]
    for loser in losers:  # each request ran in full, after the winner's answer was used
        latency = latency_of(int(loser.name.removeprefix("mirror-")), 3, FASTEST)
        assert loser.ended_ns - loser.created_ns >= 0.99 * latency * 1e9
        assert loser.ended_ns > winner.ended_ns


def test_main_waits_once_on_all_mirrors_with_asyncio_wait(runs) -> None:
    trace = runs[FIXED].trace
    (main,) = trace.tasks_named("main")
    first_wait = next(w for w in trace.waits_of(main.id) if w.kind == "task")
    assert first_wait.label.startswith("asyncio.wait")
    assert set(first_wait.targets) == {t.id for t in trace.tasks_named("mirror-")}
