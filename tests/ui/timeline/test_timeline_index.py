"""SegmentIndex and the pixel helpers agree with brute force."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from loopviz.ui.palette import STATE_KEYS
from loopviz.ui.timeline.index import SegmentIndex, Segments
from loopviz.ui.timeline.raster import merge_subpixel, rasterize, to_pixels

seg_lists = st.lists(st.tuples(st.floats(0, 100), st.floats(0, 50), st.integers(0, 5)),
                     min_size=0, max_size=60)


def segments(items) -> Segments:
    x0 = [a for a, _, _ in items]
    x1 = [a + d for a, d, _ in items]
    return Segments.of(x0, x1, [k for _, _, k in items], [0] * len(items),
                       list(range(len(items))))


@settings(max_examples=80, deadline=None)
@given(seg_lists, seg_lists, st.floats(0, 120), st.floats(0, 30))
def test_a_query_returns_exactly_the_segments_overlapping_the_window(first, later, lo, width):
    index = SegmentIndex()
    index.append(segments(first))
    index.append(segments(later))  # out of order appends re-sort
    items = first + later
    hi = lo + width
    expected = sorted(i for i, (a, d, _) in enumerate(first) if a <= hi and a + d >= lo) + \
        sorted(len(first) + i for i, (a, d, _) in enumerate(later) if a <= hi and a + d >= lo)
    got = index.query(lo, hi)
    found = sorted((float(a), float(b)) for a, b in zip(got.x0, got.x1, strict=True))
    want = sorted((items[i][0], items[i][0] + items[i][1]) for i in expected)
    assert found == want
    assert index.count == len(items)
    assert np.all(np.diff(index.all().x0) >= 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(seg_lists, min_size=1, max_size=5), st.sets(st.integers(0, 5)),
       st.floats(0, 120), st.floats(0, 30))
def test_a_query_by_lane_returns_those_lanes_segments_in_the_window(batches, keys, lo, width):
    index = SegmentIndex()
    for items in batches:
        index.append(segments(items))
    got = index.query_keys(np.array(sorted(keys), np.int32), lo, lo + width)
    window = index.query(lo, lo + width)
    want = window.take(np.isin(window.key, list(keys)))
    assert sorted(zip(got.x0.tolist(), got.x1.tolist(), got.key.tolist(), strict=True)) == \
        sorted(zip(want.x0.tolist(), want.x1.tolist(), want.key.tolist(), strict=True))


def test_to_pixels_gives_a_subpixel_segment_exactly_one_column():
    p0, p1 = to_pixels(np.array([0.12, 1.0, 0.0]), np.array([0.17, 3.5, 0.2]), 0.0, 10.0, 100)
    assert (p0.tolist(), p1.tolist()) == ([1, 10, 0], [2, 35, 2])


def test_merge_keeps_one_rect_per_pixel_cell_for_thin_segments():
    p0, p1 = np.array([5, 5, 5, 7]), np.array([6, 6, 6, 20])
    rows = np.array([0, 0, 1, 0])
    a, b, r = merge_subpixel(p0, p1, rows, 100)
    assert sorted(zip(a.tolist(), b.tolist(), r.tolist(), strict=True)) == \
        [(5, 6, 0), (5, 6, 1), (7, 20, 0)]


def test_raster_cells_take_the_state_drawn_last():
    code = {k: i for i, k in enumerate(STATE_KEYS)}
    p0 = np.array([0, 2, 2, 0])
    p1 = np.array([10, 3, 3, 1])
    rows = np.array([0, 0, 0, 1])
    states = np.array([code["wait:sleep"], code["blocked"], code["running"], code["job"]])
    grid = rasterize(p0, p1, rows, states, 0, 2, 10)
    assert grid[0, 0] == code["wait:sleep"] and grid[0, 2] == code["blocked"]
    assert grid[1, 0] == code["job"] and grid[1, 1] == -1
