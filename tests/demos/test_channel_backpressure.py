"""channel-backpressure: a bounded queue never holds more than maxsize items and the producer
waits on put; unbounded, it races ahead and never waits."""

from __future__ import annotations

import pytest

from loopviz.demos import FIXED, PITFALL
from loopviz.demos.channel_backpressure import queue_depth

from .helpers import run_demo

PARAMS = {"items": 6, "maxsize": 2, "make": 0.02, "work": 0.1}


@pytest.fixture(scope="module")
def runs():
    return {v: run_demo("channel_backpressure", v, **PARAMS) for v in (PITFALL, FIXED)}


def _producer_waits(trace):
    (producer,) = [t for t in trace.tasks if t.name == "producer"]
    return trace.waits_of(producer.id)


def test_bounded_queue_depth_never_exceeds_maxsize(runs) -> None:
    depths = [d for _, d in queue_depth(runs[FIXED].trace)]
    assert max(depths) == PARAMS["maxsize"] and min(depths) >= 0 and depths[-1] == 0
    assert len(depths) == 2 * PARAMS["items"]  # every put and every get seen once


def test_producer_waits_on_a_full_queue_at_its_put_line(runs) -> None:
    puts = [w for w in _producer_waits(runs[FIXED].trace) if w.kind == "queue"]
    assert puts and all(w.label == "Queue.put" for w in puts)
    assert len({w.line for w in puts}) == 1


def test_unbounded_queue_lets_the_producer_race_ahead(runs) -> None:
    trace = runs[PITFALL].trace
    assert not [w for w in _producer_waits(trace) if w.kind == "queue"]
    assert max(d for _, d in queue_depth(trace)) > PARAMS["maxsize"]
