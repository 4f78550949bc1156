"""future-from-callback: the waiting task is parked on a bare future until a real button
click (or the timer fallback) completes it."""

from __future__ import annotations

from typing import Any

from loopviz.demos import DEFAULT

from .helpers import run_demo


def test_timer_fallback_completes_the_future_when_nobody_clicks(qapp: Any) -> None:
    r = run_demo("future_from_callback", DEFAULT, fallback=0.3)
    assert r.status == "finished" and r.value == "timer fired"
    assert r.findings[1].data["by_timer"] == 1.0
    (waiter,) = r.trace.tasks_named("wait-for-user")
    (wait,) = r.trace.waits_of(waiter.id)
    assert wait.kind == "future" and 0.25e9 < wait.ready_ns - wait.start_ns < 1e9
    assert not [w for w in qapp.topLevelWidgets() if w.isVisible()
                and w.objectName() == "loopviz-complete-future"], "the button was left open"


def test_a_real_click_completes_the_future_before_the_timer(qapp: Any) -> None:
    from PySide6.QtCore import QTimer

    def click() -> None:
        for widget in qapp.topLevelWidgets():
            if widget.objectName() == "loopviz-complete-future" and widget.isVisible():
                widget.click()

    QTimer.singleShot(200, click)
    r = run_demo("future_from_callback", DEFAULT, fallback=5.0)
    assert r.status == "finished" and r.value == "button clicked"
    assert r.findings[1].data["by_timer"] == 0.0
    assert all(f.ok for f in r.findings)
    assert r.trace.duration_ns < 2e9
