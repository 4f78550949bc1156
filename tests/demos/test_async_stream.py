"""async-stream: with async for, fetching and handling alternate item by item on the one
consumer task; collecting first puts every fetch before the first handling."""

from __future__ import annotations

import pytest

from loopviz.demos import FIXED, PITFALL
from loopviz.demos.async_stream import _phases

from .helpers import run_demo

ITEMS = 4


@pytest.fixture(scope="module")
def runs():
    return {v: run_demo("async_stream", v, items=ITEMS, fetch=0.05, work=0.05)
            for v in (PITFALL, FIXED)}


def test_async_for_alternates_fetch_and_handle_item_by_item(runs) -> None:
    tags, _ = _phases(runs[FIXED].trace, FIXED)
    assert tags == ["fetch", "handle"] * ITEMS


def test_collecting_first_fetches_everything_before_handling_anything(runs) -> None:
    tags, _ = _phases(runs[PITFALL].trace, PITFALL)
    assert tags == ["fetch"] * ITEMS + ["handle"] * ITEMS


def test_the_generator_is_not_a_task(runs) -> None:
    for r in runs.values():
        assert r.value == ITEMS
        assert sorted(t.name for t in r.trace.tasks) == ["consumer", "main"]
