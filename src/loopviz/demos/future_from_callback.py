"""A future nobody computes: ``loop.create_future()`` is completed from outside (a Qt button's
``clicked`` signal, or a timer), and the task awaiting it simply waits until then.

This is how callback- and signal-based APIs become awaitable."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from loopviz.demos import widgets
from loopviz.demos.base import DEFAULT, Demo, Param
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration

if TYPE_CHECKING:  # PySide6 is imported when the button is made, so `loopviz list` stays fast
    from PySide6.QtWidgets import QPushButton


def make_button(on_click: Callable[[], None]) -> QPushButton | None:
    """A small real QPushButton wired to ``on_click``; None without a QApplication (a plain
    asyncio loop in a terminal), where only the timer can complete the future."""
    from PySide6.QtWidgets import QApplication, QPushButton

    if not isinstance(QApplication.instance(), QApplication):
        return None
    button = QPushButton("Click me to complete the future")
    button.setObjectName("loopviz-complete-future")
    button.setWindowTitle("loopviz: future-from-callback")
    button.clicked.connect(on_click)
    button.show()
    return button


async def wait_for_user(answer: asyncio.Future[str]) -> str:
    # No work happens here: the task is parked on the future until someone completes it.
    return await answer


async def main(variant: str, fallback: float = 2.5) -> str:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()  # like a TaskCompletionSource

    def complete(how: str) -> None:
        if not answer.done():  # a click after the timer (or twice) must not raise
            answer.set_result(how)

    def on_click() -> None:  # Qt calls this on the UI thread, which is the loop's thread
        complete("button clicked")

    def on_fallback() -> None:  # so a run with nobody at the screen still finishes
        complete("timer fired")

    button = make_button(on_click)
    timer = loop.call_later(fallback, on_fallback)
    try:
        return await asyncio.create_task(wait_for_user(answer), name="wait-for-user")
    finally:
        timer.cancel()
        if button is not None:
            widgets.close_widget(button)


def check(trace: Trace, variant: str, fallback: float = 2.5) -> list[Finding]:
    (waiter,) = trace.tasks_named("wait-for-user")
    waits = [w for w in trace.waits_of(waiter.id) if w.kind == "future"]
    steps = trace.steps_of(waiter.id)
    wait = waits[0] if waits else None
    if wait is None or wait.ready_ns is None:
        return [Finding("wait-for-user never waited on a completed future", ok=False)]
    done_at = wait.ready_ns
    # The timer's callback is a plain loop callback; a click comes from Qt, not from the loop.
    by_timer = any(c.label.endswith("on_fallback") and c.start_ns <= done_at <= c.end_ns
                   for c in trace.callbacks)
    how = ("by the timer's on_fallback callback" if by_timer
           else "by a click on the button (a Qt signal, not a loop callback)")
    held = sum(s.end_ns - s.start_ns for s in steps)
    return [
        Finding(f"wait-for-user waited {duration(done_at - wait.start_ns)} on a future, running "
                f"only {len(steps)} steps ({duration(held)} of loop time)",
                ok=len(steps) == 2 and len(waits) == 1,
                data={"waited_s": (done_at - wait.start_ns) / 1e9, "steps": len(steps)}),
        Finding(f"the future was completed {how} at {duration(done_at)}; the task resumed "
                f"{duration((wait.end_ns or done_at) - done_at)} later",
                ok=waiter.outcome == "result", data={"by_timer": float(by_timer)}),
    ]


DEMO = Demo(
    id="future-from-callback",
    title="A future completed by a click",
    category="Composition",
    summary="loop.create_future() turns a callback or Qt signal into something you can await.",
    explanation=(
        "main creates a bare future and a real button whose clicked signal completes it; a "
        "timer completes it instead if nobody clicks. The wait-for-user task awaits the "
        "future: its lane shows one long wait of kind 'future' and no running at all, because "
        "nothing computes a future: it is just a slot that someone fills. Click the button "
        "during the run and the wait ends at your click; in a headless run the timer's "
        "callback appears on the loop lane at the moment the wait turns ready."
    ),
    csharp=(
        "C#: TaskCompletionSource<T>, whose .Task you await and whose TrySetResult you call "
        "from an event handler. Python: loop.create_future() and fut.set_result(...). There is "
        "no TrySetResult: check fut.done() first, or a second completion raises "
        "InvalidStateError. set_result must run on the loop's thread: from another thread use "
        "loop.call_soon_threadsafe. With a Qt loop, a signal handler already runs there."
    ),
    main=main,
    check=check,
    variants=(DEFAULT,),
    params=(Param("fallback", "timer fallback", 2.5, 0.5, 10.0, 0.5, "s"),),
    needs_widgets=True,
)
