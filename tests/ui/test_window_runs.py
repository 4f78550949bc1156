"""The window driven as a user drives it: pick a demo, press Run, look at what the views hold."""

from __future__ import annotations

import numpy as np

from loopviz.session import RunResult
from loopviz.ui.main_window import MainWindow


def choose(window: MainWindow, demo_id: str, variant: str | None = None,
           **params: float) -> None:
    assert window.browser.select(demo_id)
    if variant is not None:
        window.controls.variant_switch.button(variant).click()
    for name, value in params.items():
        window.controls.spins[name].setValue(value)


def task_rows(window: MainWindow) -> dict[str, int]:
    trace = window.trace
    assert trace is not None
    model = window.timeline.model
    return {t.name: model.row_of("task", t.id) for t in trace.tasks}


def test_selecting_a_demo_shows_its_explanation_source_and_knobs(window) -> None:
    choose(window, "sequential-vs-gather")
    assert "One by one" in window.explanation.toPlainText()
    assert "C# twin" in window.explanation.toPlainText()
    assert window.code.source_file.endswith("sequential_vs_gather.py")
    assert "async def fetch" in window.code.toPlainText()
    assert set(window.controls.spins) == {"fetches", "delay"}
    assert window.controls.variant() == "pitfall"


def test_gather_run_gives_a_lane_per_task_and_an_await_arrow_each(window, run_to_end) -> None:
    choose(window, "sequential-vs-gather", "fixed", fetches=3, delay=0.2)
    result = run_to_end(window)
    assert isinstance(result, RunResult) and result.status == "finished"
    rows = task_rows(window)
    assert {"main", "fetch-1", "fetch-2", "fetch-3"} <= set(rows)
    assert all(row >= 0 for row in rows.values()) and len(set(rows.values())) == len(rows)
    model = window.timeline.model
    trace = window.trace
    main_key = model.key("task", trace.tasks_named("main")[0].id)
    awaited = {int(to) for _x, frm, to in model.arrows if int(frm) == main_key}
    assert {model.key("task", t.id) for t in trace.tasks_named("fetch-")} <= awaited
    texts = [e.text for e in window.findings_panel.entries()]
    assert any("gather" in t for t in texts)
    assert "Finished" in window.statusBar().currentMessage()
    assert not window.commands.cancel.isEnabled() and window.commands.run.isEnabled()


def test_blocking_demo_shows_the_freeze_on_the_ui_lane_and_in_the_chart(window,
                                                                       run_to_end) -> None:
    choose(window, "blocking-sleep", "pitfall", block=0.5)
    run_to_end(window)
    trace = window.trace
    (sleep_step,) = [s for s in trace.steps if s.end_ns - s.start_ns >= 0.4e9]
    culprit = [b for b in trace.blocks if b.start_ns <= sleep_step.start_ns + 0.05e9
               and b.end_ns >= sleep_step.end_ns - 0.05e9]
    assert culprit, trace.blocks
    block = culprit[0]
    x0, x1, _rows = window.timeline.model.columns("blocked")
    assert np.any((x0 <= block.start_ns / 1e9 + 1e-3) & (x1 >= block.end_ns / 1e9 - 1e-3))
    regions = window.chart.freeze_regions()
    assert any(a <= block.start_ns / 1e9 + 1e-6 and b >= block.end_ns / 1e9 - 1e-6
               for a, b in regions)
    assert window.chart.series is not None and window.chart.series.heartbeat_ms.max() >= 300
    if block.file.endswith("blocking_sleep.py"):  # attribution is the watchdog's (sampled)
        assert window.code.marks.problems.get(block.line), window.code.marks
    blocks_listed = [e for e in window.findings_panel.entries() if e.kind == "block"]
    assert any(e.t_ns == block.start_ns for e in blocks_listed)


def test_cancel_ends_a_running_demo_with_its_tasks_cancelled(window, qtbot) -> None:
    choose(window, "sequential-vs-gather", "fixed", fetches=3, delay=1.5)
    with qtbot.waitSignal(window.runFinished, timeout=20_000) as blocker:
        window.commands.run.trigger()
        qtbot.waitUntil(lambda: window.trace is not None and len(window.trace.tasks) >= 4,
                        timeout=10_000)
        assert window.commands.cancel.isEnabled()
        window.commands.cancel.trigger()
    result = blocker.args[0]
    assert result.status == "cancelled"
    outcomes = {t.name: t.outcome for t in result.trace.tasks}
    assert outcomes["main"] == "cancelled"
    assert [outcomes[f"fetch-{i}"] for i in (1, 2, 3)] == ["cancelled"] * 3
    assert result.trace.duration_ns < 1.5e9
    assert any("cancelled" in e.text for e in window.findings_panel.entries())


def test_the_bridge_records_its_own_work_on_the_ui_lane(window, run_to_end) -> None:
    choose(window, "interleaving", rounds=3, pause=0.1)
    run_to_end(window)
    own = [c for c in window.trace.callbacks if c.label.startswith("loopviz:")]
    assert own and all(c.thread == 0 for c in own)
    # repaints, trace updates, and a stall the watchdog pinned on loopviz's own code (a slow
    # first paint on a loaded machine) are all loopviz's work
    assert all(c.label in ("loopviz: repaint", "loopviz: update")
               or c.label.startswith("loopviz: stalled in ") for c in own), own
    assert window.bridge.ticks >= 1
    x0, _x1, _rows = window.timeline.model.columns("loopviz")
    assert len(x0) >= 1


def test_the_pulse_keeps_moving_while_the_ui_thread_is_free(window, qtbot) -> None:
    before = window.pulse.phase()
    qtbot.wait(150)
    assert window.pulse.phase() != before
    assert window.pulse.stalled_for() < 1.0


BUSY = """
import asyncio


async def hop(n):
    for _ in range(n):
        await asyncio.sleep(0)


async def main():
    await asyncio.gather(*(hop(400) for _ in range(50)))


asyncio.run(main())
"""


def test_a_run_the_views_fell_behind_ends_whole_with_the_window_handling_events(
        window, run_to_end, qtbot, tmp_path) -> None:
    from PySide6.QtCore import QTimer

    program = tmp_path / "busy.py"
    program.write_text(BUSY)
    window.select_target(str(program))
    window.bridge.max_share = 0.0001  # the views fall far behind this run
    window.bridge.slice_ms = 1.0  # and its end is read in many small slices
    ticks: list[int] = []  # how far the views had read, each time the timer fired after the end

    def tick() -> None:
        session = window.runs.session
        if session is not None and session.recorder.finished_ns is not None:
            ticks.append(window.bridge.steps_read)

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(0)
    result = run_to_end(window)
    timer.stop()
    trace = window.trace
    assert isinstance(result, RunResult) and trace is result.trace
    assert len(trace.steps) >= 50 * 400  # every step recorded is in the final trace
    assert window.timeline.model.trace is trace  # and drawn
    # after the program ended, the window's own timer kept firing while the rest was read,
    # a slice at a time
    assert len(set(ticks)) >= 3
