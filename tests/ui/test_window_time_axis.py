"""One time axis: the view fits a finished run, and the timeline and the chart below it show
the same range in the same unit, whatever the run's length."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from loopviz.ui.main_window import MainWindow

SHORT = "import asyncio\n\nasync def main():\n    await asyncio.sleep(0.02)\n"


def x_range(window: MainWindow, which: str) -> tuple[float, float]:
    view_box = window.timeline.view_box if which == "timeline" else window.chart.getViewBox()
    return tuple(view_box.viewRange()[0])


def units(window: MainWindow) -> tuple[str, str]:
    timeline = window.timeline.bottom
    chart = window.chart.getPlotItem().getAxis("bottom")
    return (timeline.labelUnitPrefix + timeline.labelUnits,
            chart.labelUnitPrefix + chart.labelUnits)


@pytest.fixture
def short_script(tmp_path) -> str:
    path = tmp_path / "short.py"
    path.write_text(SHORT)
    return str(path)


def test_after_a_20_ms_run_the_view_spans_the_run(window, run_to_end, short_script) -> None:
    assert window.open_script(short_script)
    result = run_to_end(window)
    end = result.trace.duration_ns / 1e9
    start = result.trace.tasks[0].created_ns / 1e9  # after the program's own start-up
    assert 0.015 < end - start < 0.5
    xmin, xmax = x_range(window, "timeline")
    assert xmin <= start and xmax >= end
    assert xmax - xmin <= 1.25 * (end - start)  # the run fills the width, not a sliver


def test_timeline_and_chart_share_one_range_and_one_unit(window, run_to_end, qtbot,
                                                         short_script) -> None:
    assert window.open_script(short_script)
    run_to_end(window)
    assert x_range(window, "timeline") == x_range(window, "chart")
    assert units(window) == ("ms", "ms")
    window.timeline.view_box.setXRange(0.004, 0.006, padding=0)  # zoom, as the wheel would
    assert x_range(window, "chart") == (0.004, 0.006)
    window.chart.getViewBox().setXRange(0.0, 3.0, padding=0)
    window.chart.getViewBox().sigRangeChangedManually.emit([True, False])  # a drag on the chart
    assert x_range(window, "timeline") == x_range(window, "chart") == (0.0, 3.0)
    assert units(window) == ("s", "s")


def test_the_chart_data_area_lines_up_with_the_timeline_lanes(window, run_to_end, qtbot,
                                                              short_script) -> None:
    assert window.open_script(short_script)
    run_to_end(window)

    def edges(view_box) -> tuple[int, int]:
        view = view_box.scene().views()[0]
        rect = view_box.sceneBoundingRect()
        return (view.mapToGlobal(view.mapFromScene(rect.topLeft())).x(),
                view.mapToGlobal(view.mapFromScene(rect.topRight())).x())

    qtbot.waitUntil(lambda: abs(edges(window.timeline.view_box)[0]
                                - edges(window.chart.getViewBox())[0]) <= 1, timeout=3000)
    left, right = edges(window.timeline.view_box)
    c_left, c_right = edges(window.chart.getViewBox())
    assert abs(left - c_left) <= 1 and abs(right - c_right) <= 1


def test_a_saved_record_trace_opens_with_its_own_source_and_no_demo_knobs(window,
                                                                         tmp_path) -> None:
    import asyncio

    import loopviz

    async def main() -> loopviz.recording.Recording:
        with loopviz.record(probes=False) as rec:
            await asyncio.sleep(0.01)
        return rec

    with ThreadPoolExecutor(1) as pool:  # a plain asyncio program, beside the window's loop
        path = pool.submit(asyncio.run, main()).result().save(tmp_path / "mine.loopviz.json")
    window.browser.select("interleaving")
    assert window.open_trace(str(path))
    assert window.code.source_file == __file__
    assert "test_a_saved_record_trace_opens_with_its_own_source" in window.code.toPlainText()
    assert window.controls.demo is None and not window.controls.spins
    assert window.browser.current() is None
    assert "unknown target" not in window.explanation.toPlainText()
    assert "test_window_time_axis.py" in window.explanation.toPlainText()


def test_the_chart_starts_at_zero_and_keeps_its_legend_above_the_highest_value(
        window, run_to_end, qtbot) -> None:
    from tests.ui.test_window_runs import choose

    choose(window, "blocking-sleep", "pitfall", block=0.3)
    run_to_end(window)
    chart = window.chart
    top = chart.series.top_ms()
    assert top >= 250
    view_box = chart.getViewBox()
    low, high = view_box.viewRange()[1]
    assert low <= 0 < top < high
    legend_bottom = view_box.mapSceneToView(chart.legend.sceneBoundingRect().bottomLeft()).y()
    assert top <= legend_bottom <= high  # the highest plateau runs below the legend
