"""Widgets touched off the UI thread: our helper's check and Qt's own warnings."""

from __future__ import annotations

import os

from loopviz.instrument.report import check_ui_thread
from loopviz.trace.facts import facts
from tests.instrument.conftest import culprit_line, kinds, run_program


def test_check_ui_thread_reports_the_worker_thread_and_line(loop_kind: str) -> None:
    result = run_program("wrong_thread", loop=loop_kind)
    assert result.value == (True, False)
    assert kinds(result) == ["wrong-thread-ui"]
    [diag] = result.trace.diagnostics
    assert diag.line == culprit_line("wrong_thread")
    assert os.path.basename(diag.file) == "wrong_thread.py"
    assert "label.setText" in diag.message
    assert "from thread '" in diag.message and "MainThread" not in diag.message


def test_qt_warning_about_another_thread_becomes_a_diagnostic() -> None:
    result = run_program("wrong_thread_qt")
    assert kinds(result) == ["wrong-thread-ui"]
    [diag] = result.trace.diagnostics
    assert diag.line == culprit_line("wrong_thread_qt")
    assert "different thread" in diag.message


def test_check_ui_thread_with_nothing_recording_is_just_a_question() -> None:
    assert check_ui_thread("anything") is True


def test_a_site_touching_the_ui_many_times_is_one_counted_diagnostic() -> None:
    result = run_program("wrong_thread_many")
    first, second = result.trace.diagnostics
    assert (first.line, first.count) == (culprit_line("wrong_thread_many"), 292)
    assert "label.setText" in first.message
    [fact] = [f for f in facts(result.trace, []) if "label.setText" in f.text]
    assert fact.shown.endswith("× 292")  # how the summary and the findings panel show it
    assert second.count == 1 and "progress.setValue" in second.message
    hint = "hand the update over with call_soon_threadsafe"
    assert hint in first.message and hint not in second.message  # the advice, once


def test_the_loop_called_from_another_thread_is_named_as_such_once_per_site() -> None:
    result = run_program("loop_from_thread")
    [diag] = result.trace.diagnostics_of("wrong-thread-ui")
    assert diag.line == culprit_line("loop_from_thread")
    assert "call_soon()" in diag.message and "'poker'" in diag.message
    assert "call_soon_threadsafe" in diag.message
    assert diag.count >= 1
