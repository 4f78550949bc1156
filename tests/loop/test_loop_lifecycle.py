"""The Qt loop's lifecycle edges: exit codes, what it keeps alive, threads racing its close."""

from __future__ import annotations

import gc
import threading
import time
import weakref

import pytest
from PySide6 import QtCore

from loopviz.loop import QtEventLoop


def test_run_forever_returns_the_code_given_to_app_exit(qapp: QtCore.QCoreApplication) -> None:
    loop = QtEventLoop(qapp)
    try:
        loop.call_soon(qapp.exit, 3)
        assert loop.run_forever() == 3  # sys.exit(loop.run_forever()) keeps it, as in qasync
        loop.call_soon(loop.stop)
        assert loop.run_forever() == 0
    finally:
        loop.close()


class _Payload:
    pass


def test_a_batch_lets_go_of_what_it_ran_before_qt_gets_the_thread_back(
    qapp: QtCore.QCoreApplication,
) -> None:
    alive_after_batch: list[bool] = []

    class Probe(QtEventLoop):
        def _after_batch(self) -> None:
            gc.disable()  # only references count here, not a collection that happens to run
            try:
                alive_after_batch.append(ref() is not None)
            finally:
                gc.enable()
            super()._after_batch()

    loop = Probe(qapp)
    payload = _Payload()
    ref = weakref.ref(payload)
    try:
        loop.call_soon(loop.stop)  # the loop stops after this iteration...
        loop.call_soon(lambda p: None, payload)  # ...whose last handle holds the payload
        del payload
        loop.run_forever()
    finally:
        loop.close()
    assert alive_after_batch and alive_after_batch[0] is False


class _SlowWaker:
    """Stands in for the loop's LoopWaker: its threadsafe emit takes a while, like a real emit
    that lost the race to a main thread closing the loop."""

    def __init__(self, real: object) -> None:
        self.real = real
        self.emitting = threading.Event()
        self.emit_ended_at = 0.0
        self.threadsafe = self

    def emit(self) -> None:
        self.emitting.set()
        time.sleep(0.2)
        self.emit_ended_at = time.monotonic()

    def stop(self) -> None:
        self.real.stop()  # type: ignore[attr-defined]

    def delete(self) -> None:
        self.real.delete()  # type: ignore[attr-defined]


def test_close_waits_for_a_thread_still_emitting_its_wake_up(
    qapp: QtCore.QCoreApplication,
) -> None:
    """Else the process may tear Qt down under that thread (the executor-join thread's
    segfault at exit)."""
    loop = QtEventLoop(qapp)
    waker = loop._waker = _SlowWaker(loop._waker)  # type: ignore[assignment]
    caller = threading.Thread(target=loop.call_soon_threadsafe, args=(int,))
    caller.start()
    assert waker.emitting.wait(5)
    loop.close()
    closed_at = time.monotonic()
    caller.join()
    assert waker.emit_ended_at and closed_at >= waker.emit_ended_at
    with pytest.raises(RuntimeError, match="closed"):
        loop.call_soon_threadsafe(int)
