"""The window meets hostile trace files as a user opening them would: each is an error line
(the loader's own, not the window's guard against loader bugs), mutants of a real trace open
or are refused, and afterwards the same window still runs a demo to its end."""

from __future__ import annotations

import random

import pytest

from loopviz.export import save_trace
from loopviz.session import resolve, run_headless
from tests.export.hostile import cases
from tests.export.mutate import mutant
from tests.ui.test_window_runs import choose

MUTANTS = 60  # the window's share of the fuzz budget (tests/export: the loaders' share)


@pytest.fixture(scope="module")
def blocked_trace():
    """A real run with blocks, diagnostics and its source recorded: the code view has marks."""
    return run_headless(resolve("blocking-sleep", "pitfall", {}), loop="asyncio").trace


def test_hostile_files_and_mutants_leave_the_window_working(window, errors, run_to_end, qtbot,
                                                            tmp_path, blocked_trace) -> None:
    refused = 0
    for (case, fmt), (data, message) in cases(blocked_trace).items():
        if fmt == "v1":  # its gzipped twin is opened instead (as loopviz wrote v1 files)
            continue
        path = tmp_path / f"hostile.{fmt}"
        path.write_bytes(data)
        assert not window.open_trace(str(path)), (case, fmt)
        title, line = errors.pop()
        assert title == "Open trace" and message in line and "\n" not in line, (case, line)
        assert "Error:" not in line, f"{case}: the loader let an exception through: {line}"
        refused += 1
    original = save_trace(blocked_trace, tmp_path / "real.loopviz").read_bytes()
    opened = 0
    for seed in range(MUTANTS):
        rng = random.Random(f"window-{seed}")
        path = tmp_path / "mutant.loopviz"
        path.write_bytes(mutant(original, "v2", rng))
        if window.open_trace(str(path)):
            opened += 1
            qtbot.wait(1)  # the views take the trace in the loop's next turn
            if window.trace is not None and len(window.trace.tasks):
                window._task_selected(int(window.trace.task_table.id[-1]))  # its code marks
        else:
            line = errors.pop()[1]
            assert "\n" not in line and "Error:" not in line, (seed, line)
    assert refused >= 20 and not errors
    window.open_trace(str(tmp_path / "real.loopviz"))
    choose(window, "interleaving", rounds=1, pause=0.05)
    assert run_to_end(window).status == "finished"
    print(f"window: {refused} hostile files refused, {opened} of {MUTANTS} mutants opened")


def test_the_code_view_ignores_marks_past_its_text(window) -> None:
    """A line no file has (a trace is checked for 2**31, Qt's limit; a live one is not)."""
    from loopviz.ui.code_view import CodeMarks

    window.code.set_marks(CodeMarks(current=2 ** 62, others={2 ** 40: ["t"]},
                                    problems={-3: "x", 1: "first line"}))
    window.code.scroll_to_line(2 ** 62)
    assert len(window.code.extraSelections()) == 1  # line 1's only
