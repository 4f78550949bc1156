"""The time cursor, a plain model: driven here without a window or Qt."""

from __future__ import annotations

from loopviz.trace import Trace
from loopviz.ui.state.cursor import TimeCursor
from tests.ui.timeline.conftest import MS, make_trace, step, task


def _trace() -> Trace:
    return make_trace(30, tasks=[task(1, "a", None, 0, 30, "result")],
                      steps=[step(1, 0, 5), step(1, 20, 25)])


def test_views_hear_every_move_and_the_cursor_stays_inside_the_trace() -> None:
    cursor, heard = TimeCursor(), []
    cursor.moved.connect(heard.append)
    cursor.set_trace(_trace())
    cursor.set_time(10 * MS)
    cursor.set_time(10_000 * MS)  # past the end: clamped
    cursor.clear()
    assert heard == [10 * MS, cursor.trace.duration_ns, None]
    assert cursor.effective_ns() == cursor.trace.duration_ns  # no cursor: the end


def test_stepping_lands_on_events_never_between_them() -> None:
    cursor = TimeCursor()
    cursor.set_trace(_trace())
    cursor.home()
    cursor.step(+1)
    assert cursor.t_ns in {5 * MS, 20 * MS}
    cursor.end()
    cursor.step(-1)
    assert cursor.t_ns is not None and cursor.t_ns < cursor.trace.duration_ns
