"""What only the Qt loop has: batches that yield to Qt, precise timers, snapshots, the helpers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6 import QtCore

from loopviz.loop import (
    QtEventLoop,
    QueueSnapshot,
    ensure_qt_app,
    handle_label,
    new_event_loop,
    run,
)

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def qt_loop(qapp: QtCore.QCoreApplication) -> Iterator[QtEventLoop]:
    loop = QtEventLoop(qapp)
    yield loop
    loop.close()


class _Receiver(QtCore.QObject):
    def __init__(self, on_event: object) -> None:
        super().__init__()
        self._on_event = on_event

    def event(self, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.User:
            self._on_event()  # type: ignore[operator]
            return True
        return super().event(event)


def test_a_long_callback_chain_yields_to_qt_between_batches(qt_loop: QtEventLoop) -> None:
    """10,000 chained callbacks of ~5 us each: Qt's own timers and posted events get through."""
    progress = [0]
    qt_ticks: list[int] = []
    posted: list[int] = []
    done = qt_loop.create_future()

    def step(n: int) -> None:
        progress[0] = n
        until = time.perf_counter() + 5e-6
        while time.perf_counter() < until:
            pass
        if n < 10_000:
            qt_loop.call_soon(step, n + 1)
        else:
            done.set_result(None)

    heartbeat = QtCore.QTimer()
    heartbeat.setInterval(0)
    heartbeat.timeout.connect(lambda: qt_ticks.append(progress[0]))
    receiver = _Receiver(lambda: posted.append(progress[0]))

    def start() -> None:
        heartbeat.start()
        QtCore.QCoreApplication.postEvent(receiver, QtCore.QEvent(QtCore.QEvent.Type.User))
        qt_loop.call_soon(step, 1)

    qt_loop.call_soon(start)
    qt_loop.run_until_complete(done)
    heartbeat.stop()

    during = [n for n in qt_ticks if 1 <= n < 10_000]
    assert len(during) >= 2, qt_ticks[:10]
    assert posted and posted[0] < 10_000  # delivered before the chain ended


def test_callbacks_do_not_reenter_from_a_nested_qt_event_loop(qt_loop: QtEventLoop) -> None:
    events: list[str] = []

    def spins_qt() -> None:
        events.append("spin start")
        QtCore.QCoreApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        events.append("spin end")

    qt_loop.call_soon(spins_qt)
    qt_loop.call_soon(events.append, "next")
    qt_loop.call_later(0, events.append, "timer")
    qt_loop.run_until_complete(asyncio.sleep(0.01))
    assert events == ["spin start", "spin end", "next", "timer"]


def test_a_timer_woken_early_by_qt_waits_for_its_due_time(qt_loop: QtEventLoop) -> None:
    fired: list[float] = []
    handle = qt_loop.call_later(0.05, lambda: fired.append(qt_loop.time()))

    def wake_early() -> None:
        qt_loop._on_timer_wakeup()  # what Qt would do if its timer fired too soon
        assert fired == []

    qt_loop.call_soon(lambda: QtCore.QTimer.singleShot(0, wake_early))
    qt_loop.run_until_complete(asyncio.sleep(0.1))
    assert len(fired) == 1 and fired[0] >= handle.when()


def test_queue_snapshot_counts_ready_handles_and_lists_the_next_timers(
    qt_loop: QtEventLoop,
) -> None:
    def tick() -> None:
        pass

    async def sleeper() -> None:
        await asyncio.sleep(0.2)

    async def main() -> tuple[QueueSnapshot, QueueSnapshot]:
        task = asyncio.create_task(sleeper(), name="sleeper")
        await asyncio.sleep(0)  # the sleeper is now waiting on its timer
        qt_loop.call_later(0.1, tick)
        qt_loop.call_later(0.05, tick).cancel()
        qt_loop.call_soon(tick)
        qt_loop.call_soon(tick)
        inside = qt_loop.queue_snapshot(timers=5)
        task.cancel()
        return inside, qt_loop.queue_snapshot(timers=1)

    inside, one = qt_loop.run_until_complete(main())
    assert inside.in_batch and inside.ready == 2
    assert [label for _when, label in inside.timers] == [
        "test_queue_snapshot_counts_ready_handles_and_lists_the_next_timers.<locals>.tick",
        "_set_result_unless_cancelled (sleeper)",
    ]
    assert inside.timers[0][0] < inside.timers[1][0]
    assert len(one.timers) == 1
    outside = qt_loop.queue_snapshot()
    assert not outside.in_batch


def test_handle_label_names_the_task_of_a_task_step(qt_loop: QtEventLoop) -> None:
    async def work() -> None:
        await asyncio.sleep(0)

    task = qt_loop.create_task(work(), name="worker-7")
    step = qt_loop._ready[-1]
    assert handle_label(step) == "worker-7"
    qt_loop.run_until_complete(task)


def test_no_qt_timer_is_armed_while_the_loop_is_not_running(qt_loop: QtEventLoop) -> None:
    qt_loop.call_later(10, lambda: None)
    qt_loop.run_until_complete(asyncio.sleep(0))
    qt_loop.call_soon(lambda: None)
    waker = qt_loop._waker
    assert not waker.ready.isActive() and not waker.timer.isActive()


def test_already_running_mode_runs_inside_someone_elses_exec(
    qapp: QtCore.QCoreApplication,
) -> None:
    results: list[object] = []
    loops: list[QtEventLoop] = []

    async def main(loop: QtEventLoop) -> None:
        await asyncio.sleep(0.01)
        results.append(await asyncio.to_thread(lambda: threading.current_thread().name))
        results.append(asyncio.get_running_loop() is loop)
        loop.stop()

    def start() -> None:
        loop = QtEventLoop(qapp, already_running=True)
        loops.append(loop)
        assert loop.is_running()
        loop.create_task(main(loop))

    QtCore.QTimer.singleShot(0, start)
    safety_net = QtCore.QTimer()  # quits a run that hangs; disarmed after, or it would quit
    safety_net.setSingleShot(True)  # the app 5 s later, inside whichever test runs then
    safety_net.timeout.connect(qapp.quit)
    safety_net.start(5000)
    qapp.exec()
    safety_net.stop()

    (loop,) = loops
    assert not loop.is_running()
    assert results[0].startswith("asyncio_") and results[1] is True
    loop.close()


def test_run_cancels_leftover_tasks_and_returns_the_result(qapp: QtCore.QCoreApplication) -> None:
    events: list[str] = []
    tasks: list[asyncio.Task[None]] = []

    async def background() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            events.append("background cancelled")
            raise

    async def main() -> str:
        tasks.append(asyncio.create_task(background()))
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop()).__name__

    assert run(main()) == "QtEventLoop"
    assert events == ["background cancelled"]
    assert ensure_qt_app() is qapp
    loop = new_event_loop()
    assert isinstance(loop, QtEventLoop)
    loop.close()


@pytest.mark.parametrize("gui", [False, True])
def test_headless_run_creates_the_right_application(gui: bool) -> None:
    code = (
        "import asyncio\n"
        "from loopviz.loop import ensure_qt_app, run\n"
        "async def main():\n"
        "    await asyncio.sleep(0.01)\n"
        "    return await asyncio.to_thread(lambda: 41 + 1)\n"
        f"print(run(main(), gui={gui}), type(ensure_qt_app()).__name__)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["42", "QApplication" if gui else "QCoreApplication"]
