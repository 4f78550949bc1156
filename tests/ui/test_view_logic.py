"""The pure parts of the views (what to show), tested without a window, plus the bridge's
incremental build against the full one on real runs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from loopviz.demos import Param, get_demo
from loopviz.session import resolve, run_headless
from loopviz.trace import Block, Diagnostic, Finding, TaskInfo, Trace, Wait
from loopviz.trace.incremental import IncrementalBuilder
from loopviz.ui.browser import matches
from loopviz.ui.code_view import code_marks, same_file
from loopviz.ui.controls import ParamControls, is_integer_param
from loopviz.ui.findings import entries, summary_figures
from loopviz.ui.responsiveness import responsiveness_series

FILE = "/src/demo.py"


def small_trace() -> Trace:
    """Two tasks: 'a' suspended at line 7 until the end, 'b' done; one block at line 9."""
    tasks = (TaskInfo(1, "a", "a()", None, 0, None, "pending", None, FILE, 3),
             TaskInfo(2, "b", "b()", 1, 0, 50, "result", None, FILE, 4))
    waits = (Wait(1, 10, None, None, None, "sleep", (), "asyncio.sleep 1 s", FILE, 7),
             Wait(2, 10, 20, None, 30, "task", (1,), "await a", FILE, 8))
    blocks = (Block(0, 60, 90, FILE, 9, "time.sleep"),)
    diags = (Diagnostic(90, "blocked-loop", "UI thread blocked 0.03 s by time.sleep",
                        None, FILE, 9),)
    return Trace({"target": "demo"}, tasks=tasks, waits=waits, blocks=blocks,
                 diagnostics=diags, loop_lag=((5, 1_000_000),),
                 ui_heartbeat=((5, 10_000_000), (95, 40_000_000)), duration_ns=100)


def test_code_marks_show_the_selected_task_line_other_tasks_and_problems() -> None:
    marks = code_marks(small_trace(), FILE, selected=2)
    assert marks.current == 8  # b is done: its last suspension
    assert marks.others == {7: ["a"]}
    assert "blocked the UI thread" in marks.problems[9]


def test_code_marks_ignore_other_files() -> None:
    assert code_marks(small_trace(), "/elsewhere/other.py", selected=1).others == {}
    assert same_file("demo.py", FILE) and not same_file("", FILE)


def test_a_block_and_its_diagnostic_are_one_clickable_entry_at_the_block_start() -> None:
    listed = entries(small_trace(), [Finding("it worked")], ("raised", "ValueError: boom"))
    assert [e.kind for e in listed] == ["finding", "status", "block"]
    assert listed[2].t_ns == 60 and listed[2].line == 9
    assert listed[2].text.startswith("UI thread blocked 0.03 s")


def test_summary_figures_name_the_longest_block_and_lag() -> None:
    figures = dict(summary_figures(small_trace()))
    assert figures["tasks"] == "2" and "demo.py:9" in figures["longest block"]
    assert figures["loop lag p99"] == "1 ms"
    assert dict(summary_figures(small_trace(), live=True))["alive at most"] == "…"


def test_responsiveness_series_are_in_seconds_and_milliseconds() -> None:
    s = responsiveness_series(small_trace())
    assert list(s.heartbeat_ms) == [10.0, 40.0] and s.heartbeat_t[1] == pytest.approx(95e-9)
    assert s.freezes == ((60e-9, 90e-9),)


def test_search_matches_every_word_anywhere() -> None:
    demo = get_demo("sequential-vs-gather")
    assert matches(demo, "gather composition") and not matches(demo, "gather deadlock")


def test_param_controls_give_ints_for_integer_knobs(qtbot) -> None:
    controls = ParamControls()
    qtbot.addWidget(controls)
    demo = get_demo("sequential-vs-gather")
    controls.set_demo(demo)
    controls.spins["fetches"].setValue(5)
    values = controls.values()
    assert values["fetches"] == 5 and isinstance(values["fetches"], int)
    assert isinstance(values["delay"], float)
    assert controls.non_default_values() == {"fetches": 5}
    assert is_integer_param(Param("n", "n", 3, 1, 9)) and not is_integer_param(
        Param("d", "d", 0.5, 0.1, 1.0, 0.1))


@pytest.mark.parametrize("spec", ["sequential-vs-gather", "cancellation", "offload-cpu"])
def test_incremental_build_equals_the_full_build(spec: str) -> None:
    builder: list[IncrementalBuilder] = []
    snapshots: list[Trace] = []

    class Poll:
        """A plugin that builds incrementally all through the run."""

        def install(self, recording) -> None:
            builder.append(IncrementalBuilder(recording.recorder))
            import asyncio

            async def poll() -> None:
                while True:
                    await asyncio.sleep(0.02)
                    snapshots.append(builder[0].build())

            self.task = asyncio.get_running_loop().create_task(poll())

        def uninstall(self) -> None:
            self.task.cancel()

    result = run_headless(resolve(spec), plugins=[Poll()])
    assert len(snapshots) >= 3
    final = builder[0].build()
    assert final == result.trace  # the session's own final trace is a full build_trace
    assert all(len(a.steps) <= len(b.steps) for a, b in itertools.pairwise(snapshots))


def test_a_late_heartbeat_is_drawn_flat_across_the_gap_it_left() -> None:
    from loopviz.ui.responsiveness import plateaus

    x, y = plateaus(np.array([0.30, 1.31]), np.array([10.0, 1000.0]))
    assert list(y) == [10.0, 10.0, 1000.0, 1000.0]
    assert x[2] == pytest.approx(0.31) and x[3] == pytest.approx(1.31)
