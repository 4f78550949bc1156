"""SegmentIndex and the pixel helpers agree with brute force."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from loopviz.ui.palette import STATE_KEYS
from loopviz.ui.timeline.index import MERGE_GAP_S, DenseLanes, SegmentIndex, Segments
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


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(2, 50), st.floats(0, 0.9), st.floats(0.1, 1))
def test_a_threads_steps_merged_when_zoomed_out_are_drawn_where_they_ran(seed, px_gaps, lo, span):
    rng = np.random.default_rng(seed)
    n = 5000  # steps of 2-30 us, back to back on two threads with gaps of 0-60 us
    dur = rng.uniform(2e-6, 30e-6, n)
    gap = np.where(rng.random(n) < 0.9, rng.uniform(0, 8e-6, n), rng.uniform(0, 60e-6, n))
    x0 = np.cumsum(dur + gap) - dur
    key = rng.integers(0, 2, n).astype(np.int32)
    x0 = x0 + key * 1e-3  # the second thread's steps interleave the first's
    lanes = DenseLanes()
    for part in np.array_split(np.arange(n), 7):  # appended in live batches
        lanes.append(Segments.of(x0[part], x0[part] + dur[part], key[part],
                                 [STATE_KEYS.index("running")] * len(part), part))
    px_s = px_gaps * MERGE_GAP_S
    xmin = lo * x0[-1]
    xmax = xmin + 400 * px_s * span
    width = int(np.ceil((xmax - xmin) / px_s))  # the paint's width for this window
    fine, coarse = lanes.query(xmin, xmax), lanes.query(xmin, xmax, px_s)
    assert len(coarse) <= len(fine)

    def painted(seg):  # a pixel past each edge: a step there is within a pixel of one inside
        p0, p1 = to_pixels(seg.x0, seg.x1, xmin - px_s, 1 / px_s, width + 2)
        return rasterize(p0, p1, seg.key, seg.state, 0, 2, width + 2) >= 0

    def near(cells):  # the cells and their neighbours on the same lane
        out = cells.copy()
        out[:, 1:] |= cells[:, :-1]
        out[:, :-1] |= cells[:, 1:]
        return out

    # a stretch of steps merged is drawn where its steps were, to within a pixel at its ends
    a, b = painted(fine), painted(coarse)
    assert not (b & ~near(a))[:, 1:-1].any() and not (a & ~near(b))[:, 1:-1].any()
    assert lanes.fine.count == n


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
