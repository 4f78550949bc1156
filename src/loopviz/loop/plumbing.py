"""The loop's plumbing to Qt and to the process: wake-ups, Ctrl-C, and how it describes its queue.

Why apart from ``qt_loop``: these talk to Qt and to the process (Qt timers and signals, POSIX
signals) or describe the loop to others, while ``qt_loop`` decides what runs when. It imports
nothing of loopviz's but :mod:`loopviz._cpython` (the bottom layer), so ``qt_loop`` imports
it and ``app`` (which constructs loops) imports ``qt_loop``: imports stay one-way.

Contract:
- :class:`QueueSnapshot` / :func:`snapshot_of` / :func:`handle_label`: what
  ``QtEventLoop.queue_snapshot()`` returns.
- :class:`LoopWaker`: the three ways the Qt thread calls the loop back.
- :func:`delete_qt_objects`: a closing loop deletes its Qt objects itself, on its thread.
- :func:`ctrl_c_interrupts`: Ctrl-C reaches a loop even while Qt sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import signal
import threading
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass

import shiboken6
from PySide6 import QtCore

from loopviz import _cpython

__all__ = ["LoopWaker", "QueueSnapshot", "ctrl_c_interrupts", "delete_qt_objects", "handle_label"]

_Method = Callable[[], None]  # a bound method of the loop (held weakly)


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """What the loop has queued at one moment (see :meth:`QtEventLoop.queue_snapshot`)."""

    ready: int
    """Handles in the ready queue (cancelled ones included, as asyncio keeps them until popped)."""
    timers: tuple[tuple[float, str], ...]
    """``(due time on loop.time()'s clock, label)`` of the earliest live timers, soonest first."""
    in_batch: bool
    """True while the loop is running a batch of callbacks (the snapshot was taken by one)."""


def handle_label(handle: asyncio.Handle) -> str:
    """A short human name for what ``handle`` will run: the task's name for a task step,
    otherwise the callback's qualname (with the waiting task's name when the callback completes
    a future a task awaits, as a sleep's timer does)."""
    callback = _cpython.handle_callback(handle)
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        return owner.get_name()
    func = getattr(callback, "func", callback)  # functools.partial
    name = getattr(func, "__qualname__", None) or type(func).__qualname__
    args = _cpython.handle_args(handle)
    if args and isinstance(args[0], asyncio.Future):
        for waiter in _cpython.done_callbacks(args[0]):
            task = getattr(waiter, "__self__", None)
            if isinstance(task, asyncio.Task):
                return f"{name} ({task.get_name()})"
    return name


def snapshot_of(ready: Collection[asyncio.Handle], scheduled: Iterable[asyncio.TimerHandle],
                in_batch: bool, timers: int) -> QueueSnapshot:
    """A loop's queue now: how many handles are ready, its ``timers`` soonest live timers.
    Costs O(len(scheduled)) when called and nothing otherwise."""
    soonest = heapq.nsmallest(timers, (h for h in scheduled if not h.cancelled()))
    return QueueSnapshot(ready=len(ready),
                         timers=tuple((h.when(), handle_label(h)) for h in soonest),
                         in_batch=in_batch)


class LoopWaker(QtCore.QObject):
    """The Qt side of one loop: three ways to get the Qt thread to call the loop back.

    - ``ready``: a zero-delay single-shot timer, for "callbacks are ready".
    - ``timer``: a single-shot ``Qt.PreciseTimer``, for "the earliest TimerHandle is due".
    - ``threadsafe``: a signal with a queued connection, emitted from any thread.

    It holds the loop's methods it calls weakly, so a loop that is never closed is still
    collected (and warns, as asyncio's loops do) rather than kept alive by Qt connections.
    """

    threadsafe = QtCore.Signal()

    def __init__(self, on_ready: _Method, on_timer: _Method, on_threadsafe: _Method,
                 on_about_to_quit: _Method) -> None:
        """Each argument a bound method of the loop, called on the Qt thread: callbacks are
        ready, the earliest timer is due, a thread asked for a wake-up, the app's exec()
        ended."""
        super().__init__()
        self._calls = {name: weakref.WeakMethod(method) for name, method in (
            ("ready", on_ready), ("timer", on_timer), ("threadsafe", on_threadsafe),
            ("about_to_quit", on_about_to_quit))}
        self.ready = QtCore.QTimer(self)
        self.ready.setSingleShot(True)
        self.ready.setInterval(0)
        self.ready.timeout.connect(self._on_ready)
        self.timer = QtCore.QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._on_timer)
        self.threadsafe.connect(self._on_threadsafe, QtCore.Qt.ConnectionType.QueuedConnection)

    def stop(self) -> None:
        """Disarm both timers (a queued ``threadsafe`` wake-up still arrives; it is harmless).
        A timer Qt already deleted (a loop never closed, collected at interpreter exit after
        the application) has nothing left to disarm."""
        for timer in (self.ready, self.timer):
            try:
                timer.stop()
            except RuntimeError:  # "Internal C++ object ... already deleted"
                pass

    def delete(self) -> None:
        """Stop and delete the waker and its timers now; call it on its thread (the loop's
        ``close()`` does). A queued ``threadsafe`` wake-up still pending is dropped with it."""
        self.stop()
        delete_qt_objects(self)

    def watch_about_to_quit(self, app: QtCore.QCoreApplication) -> None:
        """Call ``on_about_to_quit`` whenever ``app``'s exec() ends."""
        app.aboutToQuit.connect(self._on_about_to_quit)

    def _call(self, name: str) -> None:
        method = self._calls[name]()
        if method is not None:  # else the loop is gone
            method()

    @QtCore.Slot()
    def _on_ready(self) -> None:
        self._call("ready")

    @QtCore.Slot()
    def _on_timer(self) -> None:
        self._call("timer")

    @QtCore.Slot()
    def _on_threadsafe(self) -> None:
        self._call("threadsafe")

    @QtCore.Slot()
    def _on_about_to_quit(self) -> None:
        self._call("about_to_quit")


def delete_qt_objects(*objects: QtCore.QObject | None) -> None:
    """Stop and delete ``objects`` (children included) now, on the calling thread, which must
    be theirs. ``None`` and objects Qt already deleted (at the application's end) are skipped.

    Why a closing loop calls this rather than leaving its Qt objects to Python: a closed loop
    is garbage in a reference cycle, and Python's cyclic collector runs on whichever thread
    happens to allocate. The loop's timers and signallers were destroyed there while their own
    thread dispatched events, which Qt forbids; the process crashed later (exit 139, in CI,
    in whichever test came after one whose threads allocated: executor jobs, servers). Deleted
    here, they leave the collector only empty wrappers, safe to free on any thread.
    """
    for obj in objects:
        if obj is not None and shiboken6.isValid(obj):
            if isinstance(obj, QtCore.QTimer):
                obj.stop()
            shiboken6.delete(obj)


@contextlib.contextmanager
def ctrl_c_interrupts(wakeup_fd: int, on_interrupt: Callable[[], None]) -> Iterator[None]:
    """While inside, Ctrl-C calls ``on_interrupt`` promptly even if Qt is asleep.

    Why: Qt retries its ``poll()`` on EINTR, so Python's signal handler waits for the next
    Python code, and a KeyboardInterrupt raised there (inside some Qt slot) is printed and
    swallowed by PySide. Setting the wakeup fd (a socket Qt watches) wakes Qt at once; replacing
    the *default* handler lets the loop stop cleanly. A handler someone else installed (asyncio's
    Runner's, for one) is left alone and only gains the prompt wake-up. Main thread only;
    everything is restored on exit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old_handler = None
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        old_handler = signal.signal(signal.SIGINT, lambda signum, frame: on_interrupt())
    previous_fd = signal.set_wakeup_fd(wakeup_fd)
    if previous_fd not in (-1, wakeup_fd):
        signal.set_wakeup_fd(previous_fd)  # someone else's wake-up channel: leave it to them
    try:
        yield
    finally:
        if old_handler is not None:
            signal.signal(signal.SIGINT, old_handler)
        if previous_fd == -1:
            signal.set_wakeup_fd(-1)
