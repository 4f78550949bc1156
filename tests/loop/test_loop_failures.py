"""Failures: exceptions in callbacks, KeyboardInterrupt/SystemExit, stuck executor jobs, close().

Each test runs on plain asyncio and the loopviz Qt loop; the Qt loop must also leave no Qt timer
armed once it is not running.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from PySide6 import QtCore

from loopviz.loop import QtEventLoop

from .conftest import qt_timers_active

Loop = asyncio.AbstractEventLoop


def _spin_qt(seconds: float) -> None:
    """Let Qt deliver whatever it has (timers included) for a while, outside any loop."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        QtCore.QCoreApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)
        time.sleep(0.002)


def test_exceptions_in_callbacks_reach_the_exception_handler_and_the_loop_goes_on(
    loop: Loop,
) -> None:
    contexts: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: contexts.append(context))
    events: list[str] = []

    def boom(name: str) -> None:
        events.append(name)
        raise ValueError(name)

    loop.call_soon(boom, "soon")
    loop.call_later(0.001, boom, "later")
    loop.call_soon(events.append, "after")
    loop.run_until_complete(asyncio.sleep(0.02))

    assert events == ["soon", "after", "later"]
    assert [str(c["exception"]) for c in contexts] == ["soon", "later"]
    assert all(isinstance(c["handle"], asyncio.Handle) for c in contexts)
    assert loop.get_exception_handler() is not None


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit])
def test_base_exception_in_a_callback_stops_the_loop_and_propagates(
    loop: Loop, exc_type: type[BaseException]
) -> None:
    events: list[str] = []

    def escape() -> None:
        events.append("raise")
        raise exc_type("out")

    loop.call_soon(events.append, "before")
    loop.call_soon(escape)
    loop.call_soon(events.append, "same iteration, after")
    loop.call_later(0.01, events.append, "timer")
    with pytest.raises(exc_type):
        loop.run_until_complete(asyncio.sleep(0.05))

    assert events == ["before", "raise"]
    assert not loop.is_running() and not qt_timers_active(loop)
    # The loop is usable again: the rest of the interrupted iteration runs first.
    loop.run_until_complete(asyncio.sleep(0.03))
    assert events == ["before", "raise", "same iteration, after", "timer"]
    loop.close()
    assert not qt_timers_active(loop)


def test_keyboard_interrupt_raised_in_a_task_propagates_from_run_until_complete(
    loop: Loop,
) -> None:
    async def main() -> None:
        await asyncio.sleep(0.001)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        loop.run_until_complete(main())
    assert not qt_timers_active(loop)
    assert loop.run_until_complete(asyncio.sleep(0, "again")) == "again"


def test_close_does_not_hang_on_a_stuck_executor_job(loop: Loop) -> None:
    release = threading.Event()
    started = threading.Event()

    def stuck() -> None:
        started.set()
        release.wait(30)

    try:
        loop.run_in_executor(None, stuck)
        loop.run_until_complete(asyncio.to_thread(started.wait, 5))
        begin = time.monotonic()
        loop.close()
        assert time.monotonic() - begin < 2.0
    finally:
        release.set()


def test_nothing_fires_after_close(loop: Loop) -> None:
    ran: list[str] = []
    loop.call_soon(ran.append, "soon")
    loop.call_later(0.005, ran.append, "later")
    loop.close()
    _spin_qt(0.05)

    assert ran == [] and not qt_timers_active(loop)
    with pytest.raises(RuntimeError):
        loop.call_soon(ran.append, "closed")
    with pytest.raises(RuntimeError):
        loop.call_soon_threadsafe(ran.append, "closed")


def test_a_loop_that_is_not_running_ignores_qt_running_elsewhere(
    make_loop: Callable[[], Loop],
) -> None:
    idle, busy = make_loop(), make_loop()
    ran: list[str] = []
    idle.call_soon(ran.append, "idle's callback")
    idle.call_later(0.001, ran.append, "idle's timer")
    busy.run_until_complete(asyncio.sleep(0.02))  # the Qt loop: exec() of the same app
    assert ran == []
    idle.run_until_complete(asyncio.sleep(0.01))
    assert ran == ["idle's callback", "idle's timer"]


@pytest.mark.skipif(
    signal.getsignal(signal.SIGINT) is not signal.default_int_handler,
    reason="needs Python's default SIGINT handler",
)
def test_ctrl_c_while_the_loop_idles_raises_keyboard_interrupt(loop: Loop) -> None:
    timer = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT))
    begin = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            loop.run_until_complete(asyncio.sleep(5))
    finally:
        timer.join()
    assert time.monotonic() - begin < 3
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.set_wakeup_fd(-1) == -1  # nothing of the loop's left behind
    assert not qt_timers_active(loop)


def test_qt_loop_shutdown_default_executor_is_bounded_with_a_stuck_job(qapp: object) -> None:
    """Plain asyncio waits for the job without a bound (3.11): this is the Qt loop's own."""
    loop = QtEventLoop(qapp)  # type: ignore[arg-type]
    loop.executor_join_timeout = 0.2
    release = threading.Event()
    try:
        started = threading.Event()
        loop.run_in_executor(None, lambda: (started.set(), release.wait(30)))
        assert started.wait(5)
        begin = time.monotonic()
        loop.run_until_complete(loop.shutdown_default_executor())
        assert time.monotonic() - begin < 2.0
        finished = loop.run_until_complete(asyncio.sleep(0, "still usable"))
        assert finished == "still usable"
    finally:
        release.set()
        loop.close()


def test_qt_loop_shutdown_default_executor_waits_for_a_finishing_job(qapp: object) -> None:
    loop = QtEventLoop(qapp)  # type: ignore[arg-type]
    ended: list[str] = []
    try:
        loop.run_in_executor(None, lambda: (time.sleep(0.05), ended.append("job")))
        loop.run_until_complete(loop.shutdown_default_executor())
        assert ended == ["job"]
    finally:
        loop.close()


def test_closing_a_loop_whose_qt_timers_are_already_deleted_is_quiet(qapp: object) -> None:
    # An unclosed loop collected at interpreter exit, after Qt deleted its timers, used to print
    # "Exception ignored in BaseEventLoop.__del__ ... already deleted" on the way out.
    import shiboken6

    loop = QtEventLoop()
    for timer in (loop._waker.ready, loop._waker.timer):
        shiboken6.delete(timer)
    loop.close()
    assert loop.is_closed()


def test_an_unclosed_loop_at_interpreter_exit_says_only_that_it_was_unclosed() -> None:
    program = (
        "from loopviz.session import new_loop\n"
        "loop = new_loop('qt')\n"
        "async def main():\n"
        "    return 42\n"
        "print(loop.run_until_complete(main()))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=60, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert done.returncode == 0 and done.stdout.strip() == "42"
    assert "Exception ignored" not in done.stderr, done.stderr
