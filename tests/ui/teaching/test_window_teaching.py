"""The teaching tools driven in the window as a teacher drives them: run, scrub, step, replay."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt

from loopviz.demos import sequential_vs_gather
from loopviz.demos.evidence import source_line
from loopviz.trace.timeslice import next_event
from loopviz.ui.main_window import MainWindow
from loopviz.ui.palette import STATE_KEYS


def choose(window: MainWindow, demo_id: str, variant: str, **params: float) -> None:
    assert window.browser.select(demo_id)
    window.controls.variant_switch.button(variant).click()
    for name, value in params.items():
        window.controls.spins[name].setValue(value)


def picture(window: MainWindow) -> tuple[list[tuple[str, str]], dict[str, list[np.ndarray]]]:
    """What the timeline shows: lanes, and each state's segment columns."""
    model = window.timeline.model
    lanes = [(lane.kind, lane.label) for lane in model.rows]
    return lanes, {state: list(model.columns(state)) for state in STATE_KEYS}


def test_the_cursor_inside_a_wait_shows_the_task_waiting_on_its_line_and_its_stack(
        window, run_to_end):
    choose(window, "sequential-vs-gather", "fixed", fetches=3, delay=0.3)
    run_to_end(window)
    trace = window.trace
    (fetch,) = trace.tasks_named("fetch-2")
    (wait,) = trace.waits_of(fetch.id)
    t = (wait.start_ns + wait.ready_ns) // 2
    window.teaching.cursor.set_time(t)

    _, line = source_line(sequential_vs_gather.fetch, "await asyncio.sleep(")
    rows = window.teaching.stack.rows()
    i = rows.index(("fetch-2", "waiting: asyncio.sleep 300 ms"))
    assert rows[i + 1] == ("  fetch", f"sequential_vs_gather.py:{line}")
    assert rows[i + 2][0] == "  sleep" and rows[i + 2][1].startswith("tasks.py:")
    assert "fetch-2" in window.code.marks.others.get(line, [])
    assert window.timeline.cursor_line.isVisible()
    assert abs(window.timeline.cursor_line.value() - t / 1e9) < 1e-9
    assert {e.name for e in window.teaching.queues.queues.timers} >= {"fetch-2"}
    assert window.teaching.caption.text()


def test_stepping_to_the_next_event_lands_on_it_exactly(window, run_to_end, qtbot):
    choose(window, "sequential-vs-gather", "fixed", fetches=2, delay=0.2)
    run_to_end(window)
    trace = window.trace
    (fetch,) = trace.tasks_named("fetch-1")
    (wait,) = trace.waits_of(fetch.id)
    cursor = window.teaching.cursor
    cursor.set_time(wait.ready_ns - 1)
    window.teaching.act["next"].trigger()
    assert cursor.t_ns == wait.ready_ns
    window.activateWindow()
    window.timeline.setFocus()
    qtbot.keyClick(window.timeline, Qt.Key.Key_Right)
    assert cursor.t_ns == next_event(trace, wait.ready_ns)
    window.teaching.act["prev"].trigger()
    assert cursor.t_ns == wait.ready_ns
    window.teaching.act["end"].trigger()
    assert cursor.t_ns == trace.duration_ns
    window.teaching.act["home"].trigger()
    assert cursor.t_ns == 0


def test_replay_at_4x_of_a_2s_run_takes_a_quarter_of_the_time_and_ends_on_the_live_picture(
        window, run_to_end, qtbot):
    choose(window, "sequential-vs-gather", "pitfall", fetches=2, delay=1.0)
    run_to_end(window)
    trace = window.trace
    assert 1.9e9 <= trace.duration_ns <= 3e9
    live_lanes, live_segments = picture(window)
    teaching = window.teaching
    teaching.replay.set_speed(4.0)
    revealed = []
    teaching.replay.frame.connect(lambda tr, t: revealed.append(window.timeline.model.now))
    started = time.monotonic()
    with qtbot.waitSignal(teaching.replay.finished, timeout=10_000):
        teaching.play()
    wall = time.monotonic() - started
    expected = trace.duration_ns / 1e9 / 4
    assert 0.8 * expected <= wall <= expected + 1.0
    assert len(revealed) >= 5 and revealed == sorted(revealed)  # the timeline grew with time
    assert revealed[0] < 0.1 * revealed[-1]
    lanes, segments = picture(window)
    assert lanes == live_lanes
    # The program's states, exactly. loopviz's own stretches are the window's, measured as it
    # runs: the one in progress when the live picture was taken had not ended yet.
    for state in (s for s in STATE_KEYS if s != "loopviz"):
        for got, want in zip(segments[state], live_segments[state], strict=True):
            np.testing.assert_array_equal(np.sort(got), np.sort(want), err_msg=state)


def test_replay_mid_way_shows_the_run_as_it_was_then(window, run_to_end, qtbot):
    choose(window, "sequential-vs-gather", "pitfall", fetches=2, delay=0.3)
    run_to_end(window)
    trace = window.trace
    teaching = window.teaching
    teaching.play(0.25)
    qtbot.waitUntil(lambda: teaching.replay.t_ns > trace.duration_ns // 3, timeout=5_000)
    teaching.toggle_replay()  # Space: pause
    assert not teaching.replay.playing and teaching.replaying
    shown = window.timeline.model.trace
    assert shown.duration_ns < trace.duration_ns
    assert len(shown.tasks) <= len(trace.tasks)
    teaching.cursor.set_time(trace.duration_ns // 2)  # scrubbing while paused reveals to t
    assert window.timeline.model.trace.duration_ns == trace.duration_ns // 2
    teaching.show_end()
    assert window.timeline.model.trace is trace and not teaching.replaying


def test_a_replays_chart_shades_the_freeze_up_to_the_frame_shown(window, run_to_end):
    """Mid-block, each replay frame shows the freeze growing to its instant in the chart, as
    the UI lane does (the chart once kept its first frame's sliver: no new sample had come)."""
    from loopviz.trace.timeslice import timeslice

    choose(window, "blocking-sleep", "pitfall", block=0.4)
    run_to_end(window)
    trace = window.trace
    block = trace.longest_block()
    assert block is not None
    for t in (block.start_ns + 50_000_000, block.start_ns + 300_000_000):
        window.teaching.show_frame(timeslice(trace, t), t)
        assert any(abs(b - t / 1e9) < 1e-6 for _a, b in window.chart.freeze_regions())
