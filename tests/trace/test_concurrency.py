"""How many intervals are open at once: counted in numpy, as the event sweep counts them."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from loopviz.trace.model import max_overlap, overlap_peak


def sweep(intervals: list[tuple[int, int]]) -> int:
    """The definition: walk starts and ends in time order, an end at t before a start at t."""
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    best = cur = 0
    for _, delta in events:
        cur += delta
        best = max(best, cur)
    return best


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 20)), max_size=60))
def test_the_peak_is_the_sweeps_count(pairs: list[tuple[int, int]]) -> None:
    intervals = [(start, start + length) for start, length in pairs]
    assert max_overlap(intervals) == sweep(intervals)
    starts = np.array([s for s, _ in intervals], np.int64)
    ends = np.array([e for _, e in intervals], np.int64)
    assert overlap_peak(starts, ends) == sweep(intervals)


def test_an_interval_ending_where_another_starts_is_not_overlapping_it() -> None:
    assert max_overlap([(0, 10), (10, 20), (20, 30)]) == 1
    assert max_overlap([(0, 10), (5, 20), (9, 30)]) == 3
    assert max_overlap([]) == 0
