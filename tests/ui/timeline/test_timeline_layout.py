"""The timeline's pure layout: lanes, segments by state, markers, arrows, growth (no Qt)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from loopviz.ui.timeline.describe import describe, fmt_duration
from loopviz.ui.timeline.lanes import order_lanes, visible_lanes
from loopviz.ui.timeline.layout import TimelineModel

from .conftest import MS, make_trace, step, task


def model_of(trace) -> TimelineModel:
    m = TimelineModel()
    m.update(trace)
    return m


def labels(m: TimelineModel) -> list[str]:
    return ["  " * lane.depth + lane.label for lane in m.rows]


def spans(m: TimelineModel, state: str) -> list[tuple[float, float, str]]:
    x0, x1, rows = m.columns(state)
    return [(round(a * 1e3, 3), round(b * 1e3, 3), m.rows[r].label)
            for a, b, r in zip(x0, x1, rows, strict=True)]


def test_threads_come_first_then_tasks_in_tree_order_indented_by_depth(family_trace):
    m = model_of(family_trace)
    assert labels(m) == ["UI thread", "asyncio_0", "main", "  a", "    a1", "  b"]
    assert [lane.has_children for lane in m.rows] == [False, False, True, True, False, False]


def test_a_thread_that_did_nothing_gets_no_lane_but_the_ui_thread_always_does():
    trace = make_trace(tasks=(task(1, "main"),), steps=(step(1, 0, 1),))
    assert labels(model_of(trace)) == ["UI thread", "main"]


def test_collapsing_a_parent_hides_all_its_descendants_lanes(family_trace):
    m = model_of(family_trace)
    m.set_collapsed({1})
    assert labels(m) == ["UI thread", "asyncio_0", "main"]
    assert m.row_of("task", 4) == -1 and m.row_of("task", 2) == -1
    m.toggle_collapsed(1)
    m.toggle_collapsed(2)
    assert labels(m) == ["UI thread", "asyncio_0", "main", "  a", "  b"]
    # hidden lanes' segments are not drawn
    _, _, rows = m.columns("wait:lock")
    assert len(rows) == 0


def test_visible_lanes_keeps_the_collapsed_task_itself(family_trace):
    m = model_of(family_trace)
    lanes = order_lanes(family_trace, {0, 1}, m.key)
    assert [lane.label for lane in visible_lanes(lanes, {2})] == \
        ["UI thread", "asyncio_0", "main", "a", "b"]


def test_a_wait_is_split_into_waiting_by_kind_then_ready(family_trace):
    m = model_of(family_trace)
    assert spans(m, "wait:task") == [(1.0, 75.0, "main")]
    assert (75.0, 80.0, "main") in spans(m, "ready")
    assert spans(m, "wait:sleep") == [(2.0, 40.0, "a")]
    assert (40.0, 50.0, "a") in spans(m, "ready")
    assert spans(m, "wait:queue") == [(3.0, 65.0, "b")]  # no wake recorded: waiting to the end


def test_an_open_wait_runs_to_now_and_follows_the_trace_end(family_trace):
    m = model_of(family_trace)
    assert spans(m, "wait:lock") == [(4.0, 100.0, "a1")]
    m.update(dataclasses.replace(family_trace, duration_ns=150 * MS))
    assert spans(m, "wait:lock") == [(4.0, 150.0, "a1")]


def test_steps_run_on_the_task_lane_and_on_the_thread_that_ran_them(family_trace):
    m = model_of(family_trace)
    running = spans(m, "running")
    assert (0.0, 1.0, "main") in running and (0.0, 1.0, "UI thread") in running
    assert sum(1 for s in running if s[2] == "UI thread") == len(family_trace.steps)


def test_loopviz_callbacks_are_its_own_work_and_others_plain_callbacks(family_trace):
    m = model_of(family_trace)
    assert spans(m, "callback") == [(20.0, 22.0, "UI thread")]
    assert spans(m, "loopviz") == [(30.0, 31.0, "UI thread")]


def test_a_block_shows_on_the_ui_lane_and_on_the_task_that_blocked(family_trace):
    m = model_of(family_trace)
    assert spans(m, "blocked") == [(82.0, 88.0, "UI thread"), (82.0, 88.0, "main")]


def test_an_executor_job_is_on_its_worker_lane(family_trace):
    assert spans(model_of(family_trace), "job") == [(6.0, 30.0, "asyncio_0")]


def test_outcome_markers_sit_at_each_finished_tasks_end(family_trace):
    m = model_of(family_trace)
    got = {(round(x * 1e3), int(code), int(tid)) for x, _, code, tid in m.markers}
    assert got == {(90, 0, 1), (60, 1, 2), (70, 2, 3)}  # a1 is still pending: no marker


def test_an_await_arrow_goes_from_the_waiter_to_each_awaited_task_at_the_wait_start(
        family_trace):
    m = model_of(family_trace)
    rows = [(round(x * 1e3), m.row_of_key[int(a)], m.row_of_key[int(b)]) for x, a, b in m.arrows]
    assert sorted(rows) == [(1, m.row_of("task", 1), m.row_of("task", 2)),
                            (1, m.row_of("task", 1), m.row_of("task", 3))]


def test_every_state_column_is_sorted_by_start(family_trace):
    m = model_of(family_trace)
    for state in ("running", "ready", "blocked"):
        x0, _, _ = m.columns(state)
        assert np.all(np.diff(x0) >= 0)


def test_visible_finds_a_long_segment_that_starts_before_the_window(family_trace):
    m = model_of(family_trace)
    seg, rows = m.visible(0.030, 0.031)
    main_row = m.row_of("task", 1)
    assert any(r == main_row and x0 < 0.030 for x0, r in zip(seg.x0, rows, strict=True))


def grow(trace, upto_ms: int):
    """The same run seen at an earlier instant: what a live bridge tick would hand over."""
    t = upto_ms * MS

    def cut_wait(w):
        if w.start_ns > t:
            return None
        ready = w.ready_ns if w.ready_ns is not None and w.ready_ns <= t else None
        end = w.end_ns if w.end_ns is not None and w.end_ns <= t else None
        return dataclasses.replace(w, ready_ns=ready, end_ns=end)

    def cut_task(x):
        ended = x.ended_ns if x.ended_ns is not None and x.ended_ns <= t else None
        return dataclasses.replace(x, ended_ns=ended, outcome=x.outcome if ended else "pending")

    return dataclasses.replace(
        trace, duration_ns=t,
        tasks=tuple(cut_task(x) for x in trace.tasks if x.created_ns <= t),
        steps=tuple(s for s in trace.steps if s.end_ns <= t),
        waits=tuple(w for w in map(cut_wait, trace.waits) if w is not None),
        blocks=tuple(b for b in trace.blocks if b.end_ns <= t),
        callbacks=tuple(c for c in trace.callbacks if c.end_ns <= t),
        jobs=tuple(dataclasses.replace(j, start_ns=j.start_ns if j.start_ns <= t else None,
                                       end_ns=j.end_ns if j.end_ns <= t else None)
                   for j in trace.jobs if j.submitted_ns <= t),
    )


@pytest.mark.parametrize("ticks", [(10, 45, 100), (3, 5, 35, 62, 78, 85, 100)])
def test_a_growing_trace_is_appended_and_ends_identical_to_a_rebuild(family_trace, ticks):
    live = TimelineModel()
    appended = [live.update(grow(family_trace, t)) for t in ticks]
    assert appended[0] is False and all(appended[1:])
    full = model_of(family_trace)
    assert labels(live) == labels(full)
    for state in ("running", "ready", "wait:task", "wait:sleep", "wait:queue", "wait:lock",
                  "job", "blocked", "callback", "loopviz"):
        assert spans(live, state) == spans(full, state), state
    # keys differ between the two models (assigned in arrival order): compare rows
    def markers(m):
        return sorted((x, int(m.row_of_key[int(k)]), c, t) for x, k, c, t in m.markers)

    def arrows(m):
        return sorted((x, int(m.row_of_key[int(a)]), int(m.row_of_key[int(b)]))
                      for x, a, b in m.arrows)

    assert markers(live) == markers(full)
    assert arrows(live) == arrows(full)


def test_a_different_run_is_rebuilt_not_appended(family_trace):
    m = model_of(family_trace)
    other = dataclasses.replace(family_trace, meta={"target": "hand", "started_at": "t1"})
    assert m.update(other) is False
    assert m.update(None) is False and m.rows == []


def test_hit_prefers_the_block_over_the_step_it_happened_in(family_trace):
    m = model_of(family_trace)
    hit = m.hit(m.row_of("thread", 0), 0.085)
    assert hit is not None and hit.state == "blocked"
    hit = m.hit(m.row_of("task", 2), 0.010)
    assert hit.lane.ident == 2 and hit.state == "wait:sleep"
    assert m.hit(99, 0.010) is None


def test_the_tooltip_names_task_coroutine_state_wait_and_line(family_trace):
    m = model_of(family_trace)
    text = describe(family_trace, m.hit(m.row_of("task", 2), 0.010))
    assert "task a" in text and "work()" in text and "waiting (sleep)" in text
    assert "asyncio.sleep 10 ms" in text and "demo.py:14" in text and "for 38 ms" in text
    block = describe(family_trace, m.hit(m.row_of("thread", 0), 0.085))
    assert "BLOCKED" in block and "crunch_inline" in block and "demo.py:30" in block


def test_durations_read_at_a_glance():
    assert fmt_duration(1.234) == "1.23 s"
    assert fmt_duration(0.0354) == "35.4 ms"
    assert fmt_duration(0.00012) == "120 µs"


def test_deferred_lane_ordering_hides_new_lanes_until_the_next_ordering(family_trace):
    m = TimelineModel()
    m.update(grow(family_trace, 1))  # main only
    m.defer_lanes = True
    m._order_cost = 1e9  # as if ordering were very expensive: always defer
    m.update(grow(family_trace, 45))
    assert m.lanes_stale and m.row_of("task", 4) == -1
    seg, _ = m.visible(0, 1)  # nothing breaks while a lane has a key but no row
    assert len(seg)
    m.reorder_lanes()
    assert not m.lanes_stale and m.row_of("task", 4) > 0


def test_a_few_lanes_of_many_show_the_same_segments_as_all_lanes_cut_to_them():
    import asyncio

    import loopviz

    async def hop(n: int) -> None:
        for _ in range(n):
            await asyncio.sleep(0.0005)

    traces = []

    async def main() -> None:
        with loopviz.record() as rec:
            await asyncio.gather(*(hop(5 + i % 7) for i in range(80)))
        traces.append(rec.trace)

    asyncio.run(main())
    m = model_of(traces[0])
    end = m.now
    for rmin, rmax, xmin, xmax in ((10, 20, 0, end), (0, 3, 0, end), (40, 45, end / 3, end / 2)):
        every, every_rows = m.visible(xmin, xmax)  # all lanes: no lane is picked out
        cut = (every_rows >= rmin) & (every_rows <= rmax)
        few, few_rows = m.visible(xmin, xmax, rmin, rmax)
        assert cut.any()
        assert sorted(zip(few.x0.tolist(), few.state.tolist(), few_rows.tolist(), strict=True)) \
            == sorted(zip(every.x0[cut].tolist(), every.state[cut].tolist(),
                          every_rows[cut].tolist(), strict=True))
