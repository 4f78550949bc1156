"""TimelineView with a real recorded run: lanes, states, arrows, hover, click, collapse, export.

The interleaving demo: ``main`` gathers worker-1..3, each sleeping 4 times on the UI/loop thread.
"""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QPalette

from loopviz.trace import Block
from loopviz.ui.timeline.view import TimelineView

from .conftest import MS, make_trace, step, task


@pytest.fixture
def view(qtbot, interleaving_trace) -> TimelineView:
    v = TimelineView()
    qtbot.addWidget(v)
    v.resize(1000, 500)
    v.show()
    qtbot.waitExposed(v)
    v.set_trace(interleaving_trace)
    return v


def pixel(view: TimelineView, x: float, row: int) -> QPoint:
    """Viewport pixel of (x seconds, middle of row)."""
    scene = view.view_box.mapViewToScene(QPointF(x, row + 0.5))
    return view.plot.mapFromScene(scene)


def test_there_is_a_lane_per_task_and_for_the_ui_thread(view, interleaving_trace):
    rows = [(lane.kind, lane.label, lane.depth) for lane in view.model.rows]
    assert rows[0] == ("thread", "UI thread", 0)
    tasks = {lane.label: lane.depth for lane in view.model.rows if lane.kind == "task"}
    assert tasks == {"main": 0, "worker-1": 1, "worker-2": 1, "worker-3": 1}
    assert len(view.model.rows) == len(interleaving_trace.tasks) + 1


def test_workers_run_on_the_ui_lane_and_sleep_on_their_own(view, interleaving_trace):
    m = view.model
    ui = m.row_of("thread", interleaving_trace.ui_thread())
    _, _, running_rows = m.columns("running")
    _, _, sleep_rows = m.columns("wait:sleep")
    workers = {m.row_of("task", t.id) for t in interleaving_trace.tasks_named("worker-")}
    assert (running_rows == ui).sum() == len(interleaving_trace.steps)
    assert set(sleep_rows.tolist()) == workers
    _, _, task_rows = m.columns("wait:task")
    main = interleaving_trace.tasks_named("main")[0]
    assert set(task_rows.tolist()) == {m.row_of("task", main.id)}


def test_main_has_an_await_arrow_to_each_gathered_worker(view, interleaving_trace):
    m = view.model
    main = m.row_of("task", interleaving_trace.tasks_named("main")[0].id)
    targets = {int(m.row_of_key[int(b)]) for _, a, b in m.arrows if m.row_of_key[int(a)] == main}
    assert targets == {m.row_of("task", t.id) for t in interleaving_trace.tasks_named("worker-")}


def test_clicking_a_workers_lane_selects_that_task_and_reports_the_time(view, qtbot,
                                                                      interleaving_trace):
    worker = interleaving_trace.tasks_named("worker-2")[0]
    row = view.model.row_of("task", worker.id)
    selected, times = [], []
    view.taskSelected.connect(selected.append)
    view.timeClicked.connect(times.append)
    qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, pos=pixel(view, 0.3, row))
    qtbot.waitUntil(lambda: bool(selected))
    assert selected == [worker.id]
    assert times[0] == pytest.approx(0.3, abs=0.01)
    assert view.selected_task == worker.id
    assert view.item.selected_key == view.model.rows[row].key


def test_clicking_a_step_on_the_ui_lane_selects_the_task_it_ran(view, interleaving_trace):
    s = interleaving_trace.steps[len(interleaving_trace.steps) // 2]
    view.zoom_to_task(s.task)
    view.view_box.setXRange(s.start_ns / 1e9 - 1e-5, s.end_ns / 1e9 + 1e-5, padding=0)
    view.click_at((s.start_ns + s.end_ns) / 2e9, view.model.row_of("thread", s.thread))
    assert view.selected_task == s.task


def test_hovering_a_sleep_describes_the_task_its_wait_and_its_line(view, qtbot,
                                                                 interleaving_trace):
    worker = interleaving_trace.tasks_named("worker-1")[0]
    row = view.model.row_of("task", worker.id)
    qtbot.mouseMove(view.plot.viewport(), pixel(view, 0.1, row))
    qtbot.waitUntil(lambda: "worker-1" in view.hover_text)
    assert "waiting (sleep)" in view.hover_text
    assert "asyncio.sleep 200 ms" in view.hover_text
    assert "interleaving.py:" in view.hover_text


def test_clicking_a_parents_toggle_collapses_its_children(view, qtbot, interleaving_trace):
    main = interleaving_trace.tasks_named("main")[0]
    row = view.model.row_of("task", main.id)
    scene = view.view_box.mapViewToScene(QPointF(0, row + 0.5))
    axis_x = view.axis.mapToScene(QPointF(view.axis.boundingRect().left() + 8, 0)).x()
    pos = view.plot.mapFromScene(QPointF(axis_x, scene.y()))
    qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert [lane.label for lane in view.model.rows] == ["UI thread", "main"]
    view.toggle_collapsed(main.id)
    assert len(view.model.rows) == 5


def test_a_block_is_drawn_red_on_the_ui_lane(qtbot):
    trace = make_trace(tasks=(task(1, "main", ended=50, outcome="result"),),
                       steps=(step(1, 0, 50),),
                       blocks=(Block(0, 10 * MS, 40 * MS, "blocking.py", 14, "main", task=1),))
    v = TimelineView()
    qtbot.addWidget(v)
    v.set_trace(trace)
    x0, x1, rows = v.model.columns("blocked")
    assert v.model.rows[int(rows[0])].label == "UI thread"
    assert (x0[0], x1[0]) == (pytest.approx(0.010), pytest.approx(0.040))
    v.resize(600, 200)
    image = v.plot.grab().toImage()
    red = QColor(v.item.palette.style("blocked").fill).rgb()
    p = pixel(v, 0.025, int(rows[0]))
    assert image.pixelColor(p).rgb() == red


def test_a_growing_live_trace_keeps_now_in_view_until_the_user_zooms(view, qtbot,
                                                                   interleaving_trace):
    view.set_trace(None)
    view.set_live(True)
    for t in (0.2, 0.5, 0.8):
        view.set_trace(dataclasses.replace(interleaving_trace, duration_ns=int(t * 1e9)))
        (_, xmax), _ = view.view_box.viewRange()
        assert xmax >= t
    assert view.now_line.isVisible() and view.now_line.value() == pytest.approx(0.8)
    with qtbot.waitSignal(view.followLiveChanged) as blocker:
        view.view_box.scaleBy(x=0.5)
        view.view_box.sigRangeChangedManually.emit([True, False])
    assert blocker.args == [False] and not view.follow_button.isChecked()
    view.follow_button.setChecked(True)
    assert view.follow


def test_zoom_to_task_fits_its_life(view, interleaving_trace):
    worker = interleaving_trace.tasks_named("worker-3")[0]
    view.zoom_to_task(worker.id)
    (xmin, xmax), _ = view.view_box.viewRange()
    assert xmin <= worker.created_ns / 1e9 and xmax >= worker.ended_ns / 1e9
    assert xmax - xmin < 1.2 * (worker.ended_ns - worker.created_ns) / 1e9
    assert view.selected_task == worker.id


def test_cursor_shows_at_a_time_and_hides(view):
    view.set_cursor_time(0.4)
    assert view.cursor_line.isVisible() and view.cursor_line.value() == pytest.approx(0.4)
    view.set_cursor_time(None)
    assert not view.cursor_line.isVisible()


def test_presentation_mode_makes_lanes_and_labels_bigger(view):
    font, lanes = view.axis.label_font.pointSizeF(), view._lane_px()
    view.set_presentation(True)
    assert view.axis.label_font.pointSizeF() > font and view._lane_px() > lanes
    assert view.item.scale > 1


def test_a_dark_system_palette_gives_the_dark_timeline(view):
    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    view.setPalette(dark)
    assert view.item.palette.dark and view.axis.palette.dark


def test_exports_write_png_and_svg(view, tmp_path):
    view.export_png(str(tmp_path / "t.png"))
    view.export_svg(str(tmp_path / "t.svg"))
    assert (tmp_path / "t.png").stat().st_size > 1000
    assert "<svg" in (tmp_path / "t.svg").read_text()


def test_the_legend_lists_the_states_this_trace_shows(view):
    shown = {what for what, _ in view.legend.entries()}
    assert {"running", "ready", "blocked", "wait:sleep", "wait:task", "outcome:result",
            "arrow"} <= shown
    assert "wait:lock" not in shown and "job" not in shown
    view.set_trace(None)
    assert len(view.legend.entries()) > len(shown)  # no trace: the whole vocabulary


def test_a_dense_view_falls_back_to_a_raster_with_the_same_colours(qtbot):
    trace = make_trace(tasks=(task(1, "main", ended=50, outcome="result"),),
                       steps=(step(1, 0, 50),),
                       blocks=(Block(0, 10 * MS, 40 * MS, "blocking.py", 14, "main", task=1),))
    v = TimelineView()
    qtbot.addWidget(v)
    v.resize(600, 200)
    v.set_trace(trace)
    v.item.raster_threshold = 0
    image = v.plot.grab().toImage()
    assert v.item.last_mode == "raster"
    row = v.model.row_of("thread", 0)
    assert image.pixelColor(pixel(v, 0.025, row)).rgb() == \
        QColor(v.item.palette.style("blocked").fill).rgb()
    assert image.pixelColor(pixel(v, 0.005, row)).rgb() == \
        QColor(v.item.palette.style("running").fill).rgb()
