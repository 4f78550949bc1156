"""qasync's contract, run against stock qasync, loopviz's Qt loop, and loopviz's loop under
instrumentation: what a qasync user relies on must hold for all three.

qasync's own test suite is not on PyPI (none of its sdists carries ``tests/``), so these are
loopviz's own tests of the behaviours qasync's suite and README pin: running and stopping,
``run_forever``'s exit code, sockets and subprocesses through Qt's notifiers, executors
(qasync's ``QThreadExecutor`` included), ``asyncSlot``/``asyncClose``, ``already_running``.
Where loopviz deliberately differs, both sides are pinned and docs/DESIGN.md ("qasync
compatibility") says why: the test names say ``differs``.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import qasync
from PySide6 import QtCore

import loopviz
from loopviz.loop import QtEventLoop

KINDS = ["stock-qasync", "loopviz", "loopviz-instrumented"]


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make(kind: str, qapp: QtCore.QCoreApplication) -> Iterator[Callable[..., Any]]:
    """Makes loops of the kind under test on the test application; all closed afterwards.
    The instrumented kind is recorded (``loopviz.record``) from before it first runs."""
    made: list[Any] = []
    recordings: list[Any] = []

    def factory(**kw: Any) -> Any:
        cls = qasync.QEventLoop if kind == "stock-qasync" else QtEventLoop
        loop = cls(qapp, **kw)
        if kind == "loopviz-instrumented":
            recordings.append(loopviz.record(loop, probes=False).start())
        made.append(loop)
        return loop

    yield factory
    for rec in recordings:
        rec.stop()
    for loop in made:
        if loop.is_running() and kind != "stock-qasync":
            loop.end_running()  # an already_running loop whose app was never quit
        if not loop.is_closed():
            loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def loop(make: Callable[..., Any]) -> Any:
    return make()


def test_run_until_complete_returns_the_result_and_reraises(loop: Any) -> None:
    async def answer() -> int:
        await asyncio.sleep(0.01)
        return 42

    async def fail() -> None:
        raise KeyError("k")

    assert loop.run_until_complete(answer()) == 42
    with pytest.raises(KeyError):
        loop.run_until_complete(fail())


def test_is_running_and_the_running_loop_inside_and_after(loop: Any) -> None:
    async def inside() -> tuple[bool, Any]:
        return loop.is_running(), asyncio.get_running_loop()

    assert not loop.is_running()
    assert loop.run_until_complete(inside()) == (True, loop)
    assert not loop.is_running() and asyncio._get_running_loop() is None
    assert loop.run_until_complete(inside()) == (True, loop)  # and it runs again


def test_the_loop_is_its_own_context_manager(make: Callable[..., Any]) -> None:
    with make() as loop:
        loop.call_soon(loop.stop)
        loop.run_forever()
    assert loop.is_closed()


def test_run_forever_returns_the_code_given_to_app_exit(
    loop: Any, qapp: QtCore.QCoreApplication
) -> None:
    loop.call_soon(qapp.exit, 7)
    assert loop.run_forever() == 7  # sys.exit(loop.run_forever()) keeps it


def test_a_loop_stopped_before_its_future_is_done_says_so(loop: Any) -> None:
    loop.call_later(0.05, loop.stop)
    with pytest.raises(RuntimeError):
        loop.run_until_complete(loop.create_future())


def test_call_at_and_call_later_run_when_due(loop: Any) -> None:
    fired: list[str] = []
    loop.call_at(loop.time() + 0.02, fired.append, "at")
    loop.call_later(0.01, fired.append, "later")
    loop.run_until_complete(asyncio.sleep(0.05))
    assert fired == ["later", "at"]


def test_callbacks_are_checked_only_in_debug_mode_differs(loop: Any, kind: str) -> None:
    """stock qasync rejects a coroutine function or a non-callable at once; loopviz, as
    asyncio's own loops, checks only in debug mode (the check costs every call, the hot path)."""
    async def coro() -> None:
        pass

    for schedule in (loop.call_soon, lambda cb: loop.call_later(0, cb)):
        for bad in (coro, object()):
            if kind == "stock-qasync":
                with pytest.raises(TypeError):
                    schedule(bad)
                continue
            schedule(bad).cancel()  # accepted, as asyncio's own loop accepts it
            loop.set_debug(True)
            with pytest.raises(TypeError):
                schedule(bad)
            loop.set_debug(False)


def test_debug_can_be_switched(loop: Any) -> None:
    loop.set_debug(True)
    assert loop.get_debug()
    loop.set_debug(False)
    assert not loop.get_debug()


def test_a_callback_exception_reaches_the_exception_handler(loop: Any) -> None:
    seen: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    loop.call_soon(lambda: 1 / 0)
    loop.run_until_complete(asyncio.sleep(0.02))
    assert [type(c.get("exception")) for c in seen] == [ZeroDivisionError]


@pytest.fixture
def sock_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def test_readers_and_writers_are_called_and_removed(loop: Any, sock_pair: Any) -> None:
    client, server = sock_pair
    got: list[bytes] = []
    done = loop.create_future()

    def readable() -> None:
        got.append(server.recv(16))
        loop.remove_reader(server.fileno())
        done.set_result(None)

    def writable() -> None:
        loop.remove_writer(client.fileno())
        client.send(b"ping")

    loop.add_reader(server.fileno(), readable)
    loop.add_writer(client.fileno(), writable)
    loop.run_until_complete(asyncio.wait_for(done, 2))
    assert got == [b"ping"]
    assert not loop.remove_reader(server.fileno()) and not loop.remove_writer(client.fileno())


def test_a_reader_added_after_close_is_refused(loop: Any, sock_pair: Any) -> None:
    loop.close()
    with pytest.raises(RuntimeError):
        loop.add_reader(sock_pair[0].fileno(), lambda: None)


def test_streams_echo_over_a_socket_pair(loop: Any, sock_pair: Any) -> None:
    async def echo() -> bytes:
        c_reader, c_writer = await asyncio.open_connection(sock=sock_pair[0])
        s_reader, s_writer = await asyncio.open_connection(sock=sock_pair[1])
        c_writer.write(b"hello\n")
        s_writer.write(await s_reader.readline())
        line = await c_reader.readline()
        for w in (c_writer, s_writer):
            w.close()
            await w.wait_closed()
        return line

    assert loop.run_until_complete(asyncio.wait_for(echo(), 5)) == b"hello\n"


def test_subprocesses_run_talk_and_terminate(loop: Any) -> None:
    async def scenario() -> tuple[int, bytes, int]:
        exits = await asyncio.create_subprocess_exec(sys.executable, "-c",
                                                     "import sys; sys.exit(5)")
        talks = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "print(input())", stdin=subprocess.PIPE,
            stdout=subprocess.PIPE)
        out, _ = await talks.communicate(b"hello async world\n")
        forever = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import time\nwhile True: time.sleep(1)")
        forever.terminate()
        return await exits.wait(), out.strip(), await forever.wait()

    code, out, terminated = loop.run_until_complete(asyncio.wait_for(scenario(), 20))
    assert (code, out) == (5, b"hello async world") and terminated != 0


@pytest.mark.parametrize("executor", [None, "qthread", "threadpool"])
def test_run_in_executor_returns_results_and_raises_errors(loop: Any, executor: Any) -> None:
    makers = {None: lambda: None, "qthread": lambda: qasync.QThreadExecutor(1),
              "threadpool": lambda: ThreadPoolExecutor(1)}
    pool = makers[executor]()  # only the one used: an idle QThread collected aborts Qt

    def boom() -> None:
        raise ValueError("from the executor")

    async def scenario() -> str:
        name = await loop.run_in_executor(pool, lambda: threading.current_thread().name)
        with pytest.raises(ValueError, match="from the executor"):
            await asyncio.wait_for(loop.run_in_executor(pool, boom), 3)
        return name

    try:
        assert loop.run_until_complete(scenario()) != threading.current_thread().name
    finally:
        if pool is not None:
            pool.shutdown()


def test_call_soon_threadsafe_from_another_thread(loop: Any) -> None:
    done = loop.create_future()
    threading.Thread(target=loop.call_soon_threadsafe, args=(done.set_result, "t")).start()
    assert loop.run_until_complete(asyncio.wait_for(done, 2)) == "t"


def test_async_slot_runs_a_coroutine_when_a_signal_fires(loop: Any) -> None:
    class Emitter(QtCore.QObject):
        fired = QtCore.Signal(int)

    got: list[int] = []

    @qasync.asyncSlot(int)
    async def on_fired(value: int) -> None:
        await asyncio.sleep(0.01)
        got.append(value)

    emitter = Emitter()
    emitter.fired.connect(on_fired)

    async def scenario() -> None:
        emitter.fired.emit(3)
        await asyncio.sleep(0.05)

    loop.run_until_complete(scenario())
    assert got == [3]


def test_async_close_runs_its_coroutine_to_the_end_from_a_qt_event(loop: Any) -> None:
    steps: list[str] = []

    @qasync.asyncClose
    async def close_window() -> None:
        await asyncio.sleep(0.01)
        steps.append("closed")

    def on_close_event() -> None:  # Qt delivering closeEvent while the loop runs
        close_window()  # spins Qt's events until the coroutine is done
        steps.append("after")

    async def scenario() -> None:
        QtCore.QTimer.singleShot(0, on_close_event)
        while "after" not in steps:
            await asyncio.sleep(0.01)

    asyncio.set_event_loop(loop)
    loop.run_until_complete(asyncio.wait_for(scenario(), 5))
    assert steps == ["closed", "after"]


def test_already_running_mode_runs_inside_someone_elses_exec(
    make: Callable[..., Any], qapp: QtCore.QCoreApplication
) -> None:
    results: list[Any] = []

    async def main(loop: Any) -> None:
        await asyncio.sleep(0.01)
        results.append(await loop.run_in_executor(None, lambda: 6 * 7))
        loop.stop()

    def start() -> None:
        loop = make(already_running=True)
        results.append(loop.is_running())
        loop.create_task(main(loop))

    QtCore.QTimer.singleShot(0, start)
    safety_net = QtCore.QTimer()  # quits a run that hangs; disarmed after, or it would quit
    safety_net.setSingleShot(True)  # the app 5 s later, inside whichever test runs then
    safety_net.timeout.connect(qapp.quit)
    safety_net.start(5000)
    qapp.exec()
    safety_net.stop()
    assert results == [True, 42]
