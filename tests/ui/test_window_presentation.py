"""Presentation mode: only the chosen panels (timeline, chart, captions by default), large and
high-contrast, fitting a 1280x720 projector and a 1920x1080 screen without clipping; leaving
it puts every panel back."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QApplication

from loopviz.ui.palette import LIGHT_CONTRAST
from loopviz.ui.presentation import DEFAULT_PANELS
from tests.ui.test_window_runs import choose


def inside(window, widget) -> bool:
    top_left = widget.mapTo(window, widget.rect().topLeft())
    return window.rect().adjusted(-2, -2, 2, 2).contains(QRect(top_left, widget.size()))


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_presentation_shows_only_the_chosen_panels_and_fits(window, run_to_end, qtbot,
                                                            size) -> None:
    choose(window, "channel-backpressure", "pitfall")  # the demo with the most knobs
    window.resize(*size)
    window.commands.presentation.trigger()
    qtbot.wait(50)
    assert window.presentation and window.presentation_mode.panels == set(DEFAULT_PANELS)
    teaching = window.teaching
    shown = [window.timeline, window.chart, teaching.caption]
    hidden = [window.browser, window.explanation, window.code, window.findings_panel,
              teaching.transport, teaching.queues, window.statusBar()]
    assert all(w.isVisible() for w in shown) and not any(w.isVisible() for w in hidden)
    for widget in shown:
        assert inside(window, widget), widget
    toolbar = window.toolbar
    assert toolbar.sizeHint().width() <= window.width()  # every control on it, no » overflow
    axis = window.timeline.axis
    metrics = QFontMetricsF(axis.label_font)
    for lane in window.timeline.model.rows:  # no lane name is cut short
        assert metrics.horizontalAdvance(lane.label) < axis.width()
    assert window.timeline._pal == LIGHT_CONTRAST
    assert window.timeline.view_box.height() >= 3 * 28 * 1.6  # several big lanes at once


def test_leaving_presentation_puts_every_panel_back(window, qtbot) -> None:
    before = {w: w.isVisible() for w in (window.browser, window.code, window.findings_panel,
                                         window.statusBar(), window.timeline)}
    window.commands.presentation.trigger()
    window.commands.presentation.trigger()
    qtbot.wait(20)
    assert not window.presentation
    assert {w: w.isVisible() for w in before} == before
    assert window.timeline._pal.foreground != LIGHT_CONTRAST.foreground
    assert window.toolbar.font().pointSizeF() == QApplication.font().pointSizeF()


def test_a_chosen_panel_is_remembered_and_shown(window, settings) -> None:
    window.commands.presentation.trigger()
    window.presentation_mode.actions["code"].setChecked(True)
    assert window.code.isVisible()
    assert "code" in settings.presentation_panels(frozenset())


def test_a_presentation_with_the_code_shows_every_line_whole_at_1600x1000(window, qtbot,
                                                                           run_to_end) -> None:
    """The code column gets the width its longest line needs (at most about two fifths of
    the window: the timeline keeps the rest) and a line that still does not fit wraps: no
    line is cut off at the edge, and nothing needs a horizontal scroll."""
    from PySide6.QtWidgets import QPlainTextEdit

    choose(window, "blocking-sleep", "pitfall", block=0.2)
    window.resize(1600, 1000)
    qtbot.wait(50)
    before = window.splitters["main"].sizes()
    window.commands.presentation.trigger()
    window.presentation_mode.actions["code"].setChecked(True)
    run_to_end(window)
    qtbot.wait(50)
    code = window.code
    assert code.isVisible() and inside(window, code)
    assert code.lineWrapMode() == QPlainTextEdit.LineWrapMode.WidgetWidth
    assert code.horizontalScrollBar().maximum() == 0
    columns = QFontMetricsF(code.font()).horizontalAdvance("x" * 50)
    assert code.viewport().width() >= columns  # 50 columns of the big font at least
    assert window.timeline.width() >= 0.5 * window.width()
    window.commands.presentation.trigger()
    assert code.lineWrapMode() == QPlainTextEdit.LineWrapMode.NoWrap
    qtbot.wait(50)
    after = window.splitters["main"].sizes()
    assert all(abs(a - b) <= 8 for a, b in zip(after, before, strict=True)), (after, before)
