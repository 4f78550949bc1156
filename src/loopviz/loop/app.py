"""Everything around the loop's scheduling core: the Qt app, wake-ups, Ctrl-C, snapshots, run().

Why these live apart from ``qt_loop``: they talk to Qt and to the process (the QCoreApplication
singleton, Qt timers and signals, POSIX signals) or describe the loop to others, while
``qt_loop`` decides what runs when. ``qt_loop`` imports this module; the loop class is imported
lazily here (in the two functions that construct loops) so imports stay one-way.

Contract:
- :func:`ensure_qt_app` returns the process's QCoreApplication, creating one if there is none.
- :func:`new_event_loop` makes a :class:`~loopviz.loop.qt_loop.QtEventLoop` on it.
- :func:`run` is ``asyncio.run`` on a fresh loopviz Qt loop: it cancels leftover tasks, shuts down
  async generators and the default executor, and closes the loop.
- :class:`QueueSnapshot` / :func:`handle_label`: what ``QtEventLoop.queue_snapshot()`` returns.
- :class:`LoopWaker`, :func:`ctrl_c_interrupts`: the loop's Qt and signal plumbing.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
import weakref
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from PySide6 import QtCore

if TYPE_CHECKING:
    from .qt_loop import QtEventLoop

__all__ = [
    "LoopWaker",
    "QueueSnapshot",
    "ctrl_c_interrupts",
    "ensure_qt_app",
    "handle_label",
    "new_event_loop",
    "run",
]

_T = TypeVar("_T")
_app_ref: QtCore.QCoreApplication | None = None  # PySide must not collect an app we created


def ensure_qt_app(gui: bool = False) -> QtCore.QCoreApplication:
    """The existing QCoreApplication (of whatever class), or a new one.

    A new one is a ``QApplication`` when ``gui`` is true (widgets need it; it needs a platform
    plugin: set ``QT_QPA_PLATFORM=offscreen`` on a headless machine), else a
    ``QCoreApplication``, which needs none. An existing instance is returned as it is, even
    if ``gui`` asks for more: Qt allows one application object per process.
    """
    global _app_ref
    app = QtCore.QCoreApplication.instance()
    if app is None:
        argv = sys.argv[:1] or ["loopviz"]
        if gui:
            from PySide6.QtWidgets import QApplication

            app = QApplication(argv)
        else:
            app = QtCore.QCoreApplication(argv)
        _app_ref = app
    return app


def new_event_loop(app: QtCore.QCoreApplication | None = None) -> QtEventLoop:
    """A new loopviz Qt loop on ``app`` (default: :func:`ensure_qt_app`); not set as current."""
    from .qt_loop import QtEventLoop

    return QtEventLoop(app or ensure_qt_app())


def run(coro: Coroutine[Any, Any, _T], *, gui: bool = False, debug: bool | None = None) -> _T:
    """Run ``coro`` to completion on a fresh loopviz Qt loop and close it; return its result.

    Like :func:`asyncio.run` (it uses :class:`asyncio.Runner`): leftover tasks are cancelled,
    async generators and the default executor are shut down (the executor without hanging on a
    stuck job), and Ctrl-C cancels ``coro`` and raises KeyboardInterrupt.
    """
    app = ensure_qt_app(gui)
    with asyncio.Runner(debug=debug, loop_factory=lambda: new_event_loop(app)) as runner:
        return runner.run(coro)


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
    callback = handle._callback
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        return owner.get_name()
    func = getattr(callback, "func", callback)  # functools.partial
    name = getattr(func, "__qualname__", None) or type(func).__qualname__
    args = handle._args or ()
    if args and isinstance(args[0], asyncio.Future):
        for waiter, _context in getattr(args[0], "_callbacks", None) or ():
            task = getattr(waiter, "__self__", None)
            if isinstance(task, asyncio.Task):
                return f"{name} ({task.get_name()})"
    return name


class _WakeTarget(Protocol):
    """What a :class:`LoopWaker` calls back, on the Qt thread."""

    def _run_batch(self) -> None: ...
    def _on_timer_wakeup(self) -> None: ...
    def _on_threadsafe_wakeup(self) -> None: ...
    def _on_app_about_to_quit(self) -> None: ...


class LoopWaker(QtCore.QObject):
    """The Qt side of one loop: three ways to get the Qt thread to call the loop back.

    - ``ready``: a zero-delay single-shot timer, for "callbacks are ready".
    - ``timer``: a single-shot ``Qt.PreciseTimer``, for "the earliest TimerHandle is due".
    - ``threadsafe``: a signal with a queued connection, emitted from any thread.

    It holds its target weakly, so a loop that is never closed is still collected (and warns,
    as asyncio's loops do) rather than kept alive by Qt connections.
    """

    threadsafe = QtCore.Signal()

    def __init__(self, target: _WakeTarget) -> None:
        super().__init__()
        self._target: Callable[[], _WakeTarget | None] = weakref.ref(target)
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

    def watch_about_to_quit(self, app: QtCore.QCoreApplication) -> None:
        """Call the target's ``_on_app_about_to_quit`` whenever ``app``'s exec() ends."""
        app.aboutToQuit.connect(self._on_about_to_quit)

    @QtCore.Slot()
    def _on_ready(self) -> None:
        target = self._target()
        if target is not None:
            target._run_batch()

    @QtCore.Slot()
    def _on_timer(self) -> None:
        target = self._target()
        if target is not None:
            target._on_timer_wakeup()

    @QtCore.Slot()
    def _on_threadsafe(self) -> None:
        target = self._target()
        if target is not None:
            target._on_threadsafe_wakeup()

    @QtCore.Slot()
    def _on_about_to_quit(self) -> None:
        target = self._target()
        if target is not None:
            target._on_app_about_to_quit()


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
