"""An asyncio event loop that runs inside Qt's: qasync's integration, asyncio's scheduling.

Why not stock qasync: it turns every ``call_soon`` into its own Qt timer (about 10x slower than
plain asyncio, slower still as callbacks pile up), its timers can fire milliseconds early, and a
``KeyboardInterrupt`` escaping a callback leaves a timer firing forever. This loop keeps what
qasync does well (socket notifiers, ``run_forever`` on the application's ``exec()``,
``already_running``) and schedules the way :class:`asyncio.BaseEventLoop` does, in its own
``_ready`` deque and ``_scheduled`` heap, so tools that inspect asyncio loops keep working.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sys
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable
from contextvars import Context
from typing import Any

from PySide6 import QtCore  # before qasync, so that qasync binds to PySide6
from qasync import QEventLoop as _QasyncLoop
from qasync import QtModuleName

from loopviz import _cpython

from . import plumbing
from .executor import DefaultExecutorMixin
from .plumbing import LoopWaker, QueueSnapshot, ctrl_c_interrupts, snapshot_of
from .timer_heap import drop_cancelled_head, move_due, without_cancelled

if QtModuleName != "PySide6":  # pragma: no cover - only with QT_API forcing another binding
    raise ImportError(f"loopviz needs qasync bound to PySide6, not {QtModuleName}")

__all__ = ["DEFAULT_BATCH_BUDGET", "QtEventLoop"]

_asyncio_logger = logging.getLogger("asyncio")  # where asyncio reports slow callbacks
_base = asyncio.BaseEventLoop
_run_handle = _cpython.HANDLE_RUN  # handle._run(), as every asyncio loop runs a handle
_Callback = Callable[..., object]

DEFAULT_BATCH_BUDGET = 0.008
"""Seconds of callbacks per batch before Qt gets the thread back (half a 60 Hz frame)."""


class QtEventLoop(DefaultExecutorMixin, _QasyncLoop):
    """asyncio's scheduling on Qt's event loop.

    Invariants:
    - Callbacks run only in batches, on the Qt thread, while the loop is running; a batch is
      asyncio iterations (collect due timers, then run the handles that were ready when the
      iteration began, FIFO) until ``_ready`` is empty, ``stop()`` was called, or
      ``batch_budget`` is spent; an iteration cut short by the budget resumes first next batch.
    - Only two Qt timers ever exist for scheduling: ``_waker.ready`` is active, or a batch is
      running, whenever ``_ready`` is non-empty (``_wake_armed`` says so); ``_waker.timer`` is
      armed for ``_timer_when``, the head of ``_scheduled``, or ``_timer_when`` is ``inf``.
    - A TimerHandle runs only once ``self.time() >= handle.when()``: never early.
    - Outside ``run_forever`` (and after ``close()``) no timer is active and nothing runs; a
      ``BaseException`` leaving a callback stops the loop and ``run_forever`` re-raises it.
    - Scheduling goes through ``self.call_soon``/``self.call_at`` by attribute, as in asyncio,
      so instance-level patches see it; thread-safe and I/O-internal paths append to ``_ready``
      directly, exactly where asyncio's own loop does.
    """

    _nested_exec: QtCore.QEventLoop | None = None  # set only while run_forever nests
    # BaseEventLoop's fields this loop schedules with (qasync, its base, is untyped):
    _ready: deque[asyncio.Handle]
    _scheduled: list[asyncio.TimerHandle]
    _timer_cancelled_count: int
    _current_handle: asyncio.Handle | None
    _thread_id: int | None
    schedule_hook: Callable[[_Callback, tuple[Any, ...]], _Callback] | None = None
    """Set by loopviz's instrumentation (never by user code): sees each ``call_soon`` (wake-ups
    carry the completed future; plain callbacks are Python functions; bare task steps pass
    through) and returns the callback to schedule. ``None`` costs one attribute read; this is
    what lets instrumentation skip a Python-level ``call_soon`` wrapper on this loop."""

    def __init__(
        self,
        app: QtCore.QCoreApplication | None = None,
        *,
        already_running: bool = False,
        batch_budget: float = DEFAULT_BATCH_BUDGET,
    ) -> None:
        """Make a loop on ``app`` (default: the existing QCoreApplication instance).

        ``already_running=True`` is for an application whose ``exec()`` someone else runs: the
        loop counts as running at once, and ``stop()`` quits that application (as in qasync).
        """
        app = app or QtCore.QCoreApplication.instance()
        if app is None:
            raise RuntimeError("create a QCoreApplication first (loopviz.loop.ensure_qt_app)")
        self._qt_app = app
        self._batch_budget = batch_budget
        self._running = self._already_running = self._in_batch = False
        self._wake_armed = self._threadsafe_pending = self._exit_requested = False
        self._timer_when = math.inf
        self._carry = 0
        self._carry_head: asyncio.Handle | None = None  # ready[0] when _carry was counted
        self._pending_exc: BaseException | None = None
        self._old_agen_hooks: Any = None
        self._waker = LoopWaker(self._run_batch, self._on_timer_wakeup,
                                self._on_threadsafe_wakeup, self._on_app_about_to_quit)
        self._threadsafe_lock = threading.Lock()  # see call_soon_threadsafe
        super().__init__(app)
        if already_running:
            self._already_running = True
            self._setup_running()
            self._waker.watch_about_to_quit(app)
            self._arm_after_start()

    # -- asyncio API kept from BaseEventLoop where qasync replaced it ---------------------------
    call_later = _base.call_later
    run_until_complete = _base.run_until_complete
    get_debug = _base.get_debug
    set_debug = _base.set_debug
    get_exception_handler = _base.get_exception_handler
    set_exception_handler = _base.set_exception_handler
    default_exception_handler = _base.default_exception_handler
    call_exception_handler = _base.call_exception_handler
    set_default_executor = _base.set_default_executor

    def is_running(self) -> bool:
        """True from ``run_forever``'s start to its end (or from creation with already_running)."""
        return self._running

    # -- scheduling ----------------------------------------------------------------------------
    def call_soon(
        self, callback: _Callback, *args: Any, context: Context | None = None
    ) -> asyncio.Handle:
        """Append a Handle to the ready queue (FIFO), waking the Qt thread if it is idle."""
        hook = self.schedule_hook
        if self._debug:  # asyncio's path, checks and source tracebacks included
            self._check_closed()
            self._check_thread()
            self._check_callback(callback, "call_soon")
            if hook is not None:
                callback = hook(callback, args)
            handle = self._call_soon(callback, args, context)
            _cpython.drop_own_frame(handle)
        elif self._closed:
            raise RuntimeError("Event loop is closed")
        else:  # the hot path (every task step): BaseEventLoop._call_soon, inlined
            if hook is not None:
                callback = hook(callback, args)
            handle = asyncio.Handle(callback, args, self, context)
            self._ready.append(handle)
        if not self._wake_armed:
            self._arm_wakeup()
        return handle

    def call_at(
        self, when: float, callback: _Callback, *args: Any, context: Context | None = None
    ) -> asyncio.TimerHandle:
        """Push a TimerHandle due at ``when`` (``loop.time()`` clock); it never runs earlier."""
        timer = _base.call_at(self, when, callback, *args, context=context)
        _cpython.drop_own_frame(timer)
        if not self._in_batch and when < self._timer_when:
            self._arm_timer()  # a batch re-arms on its way out anyway
        return timer

    def call_soon_threadsafe(
        self, callback: _Callback, *args: Any, context: Context | None = None
    ) -> asyncio.Handle:
        """call_soon from any thread: append to ``_ready``, wake Qt with a queued signal. Done
        under ``_threadsafe_lock``, which ``close()`` waits out: the Qt thread may run the handle
        and close the loop while another thread is still emitting; Qt must outlive that emit."""
        with self._threadsafe_lock:
            self._check_closed()
            if self._debug:
                self._check_callback(callback, "call_soon_threadsafe")
            handle = self._call_soon(callback, args, context)
            _cpython.drop_own_frame(handle)
            if threading.get_ident() == self._thread_id:
                if not self._wake_armed:
                    self._arm_wakeup()
            elif not self._threadsafe_pending:
                self._threadsafe_pending = True
                self._waker.threadsafe.emit()
        return handle

    def _add_callback(self, handle: asyncio.Handle) -> None:
        """asyncio's internal enqueue (signal handlers use it); qasync gave it another meaning."""
        if not handle.cancelled():
            self._ready.append(handle)
            if not self._wake_armed:
                self._arm_wakeup()

    # -- wake-ups from Qt (LoopWaker calls these on the Qt thread) ------------------------------
    def _on_timer_wakeup(self) -> None:
        self._timer_when = math.inf  # single-shot: it is no longer armed
        self._run_batch()

    def _on_threadsafe_wakeup(self) -> None:
        self._threadsafe_pending = False
        if not self._wake_armed:
            self._arm_wakeup()

    def _on_app_about_to_quit(self) -> None:
        if self._already_running and self._running:
            self._cleanup_running()

    def _arm_wakeup(self) -> None:
        if self._running and not self._exit_requested:
            self._wake_armed = True
            self._waker.ready.start()

    def _disarm(self) -> None:
        self._wake_armed = False
        self._timer_when = math.inf
        self._waker.stop()

    def _arm_timer(self) -> None:
        """Point the precise Qt timer at the earliest live TimerHandle, or stop it."""
        scheduled = self._scheduled
        self._timer_cancelled_count -= drop_cancelled_head(scheduled)
        if not scheduled or not self._running or self._exit_requested:
            if self._timer_when != math.inf:
                self._waker.timer.stop()
                self._timer_when = math.inf
            return
        when = scheduled[0].when()
        if when != self._timer_when:
            # Qt counts whole milliseconds from now: round up, so it cannot fire early; if it
            # does anyway, the batch finds nothing due and we come back here for the rest.
            self._waker.timer.start(max(0, math.ceil((when - self.time()) * 1000)))
            self._timer_when = when

    def _collect_due_timers(self) -> None:
        """Move due TimerHandles to ``_ready`` (BaseEventLoop._run_once's bookkeeping)."""
        count = len(self._scheduled)
        if count > 100 and self._timer_cancelled_count / count > 0.5:  # asyncio's thresholds
            self._scheduled = without_cancelled(self._scheduled)
            self._timer_cancelled_count = 0
        self._timer_cancelled_count -= move_due(self._scheduled, self.time(), self._ready)

    # -- running batches -----------------------------------------------------------------------
    def _run_batch(self) -> None:
        """Run asyncio iterations until nothing is ready, stop() was asked, or the budget is
        spent; then give Qt the thread back and re-arm what is still due."""
        if self._in_batch or not self._running or self._exit_requested:
            return  # re-entered from a nested Qt loop, or a stale wake-up: the batch re-arms
        if self._pending_exc is not None:
            self._request_exit()
            return
        self._in_batch = self._wake_armed = True
        ready = self._ready
        popleft = ready.popleft
        clock = time.monotonic
        deadline = clock() + self._batch_budget
        ntodo, i = 0, -1  # this iteration's size, index of the handle last popped
        handle = None
        try:
            while True:
                # The rest of an iteration a budget cut short, unless the queue was emptied
                # since (a program's close() clears it while the loop is lent: see hosting).
                carry, self._carry = self._carry, 0
                ntodo = min(carry, len(ready)) if carry and ready[0] is self._carry_head else 0
                i = -1
                if not ntodo:
                    if self._scheduled:
                        self._collect_due_timers()
                    ntodo = len(ready)
                    if not ntodo and not self._stopping:
                        break
                debug = self._debug
                for i in range(ntodo):  # noqa: B007 - i is read after the loop and in finally
                    handle = popleft()
                    if handle.cancelled():
                        continue
                    if debug:
                        self._run_handle_debug(handle)
                    else:
                        _run_handle(handle)
                    if clock() >= deadline:
                        break
                handle = None  # as asyncio's _run_once: what it ran is not kept alive by us
                if i + 1 < ntodo:
                    break  # budget spent mid-iteration: the rest of it runs first next batch
                if self._stopping:
                    self._request_exit()
                    break
                if clock() >= deadline:
                    break
        except BaseException as exc:  # KeyboardInterrupt/SystemExit: Handle._run re-raises them
            if not self._fail(exc):
                raise  # already_running: no run_forever to hand it to; Qt prints it
        finally:
            handle = None  # nor by this frame, should a traceback keep it
            self._carry = ntodo - i - 1
            self._carry_head = ready[0] if self._carry and ready else None
            self._in_batch = False
            self._after_batch()

    def _run_handle_debug(self, handle: asyncio.Handle) -> None:
        """Debug mode as in asyncio: current handle set, slow callbacks logged."""
        self._current_handle = handle
        try:
            t0 = self.time()
            _run_handle(handle)
            if (dt := self.time() - t0) >= self.slow_callback_duration:
                _asyncio_logger.warning("Executing %s took %.3f seconds", handle, dt)
        finally:
            self._current_handle = None

    def _after_batch(self) -> None:
        if not self._running or self._exit_requested:
            self._wake_armed = False
            return
        if self._ready:
            self._waker.ready.start()
        else:
            self._wake_armed = False
        self._arm_timer()

    def _fail(self, exc: BaseException) -> bool:
        """Stop the loop because ``exc`` escaped; True if ``run_forever`` will re-raise it."""
        if self._pending_exc is None and not self._already_running:
            self._pending_exc = exc
        if self._in_batch or self._already_running:
            self._request_exit()
        else:  # a signal handler outside any batch: exit from inside exec(), where it counts
            self._arm_wakeup()
        return not self._already_running

    def _request_exit(self) -> None:
        self._exit_requested = True
        self._disarm()
        if self._already_running:
            self._cleanup_running()
        (self._nested_exec or self._qt_app).exit()

    # -- run / stop / close --------------------------------------------------------------------
    def run_forever(self) -> int:
        """Run Qt's event loop (``app.exec()``) with this loop's callbacks until stop().

        Returns ``exec()``'s exit code, as qasync does, so ``sys.exit(loop.run_forever())``
        keeps the code given to ``app.exit(n)`` (0 after ``stop()``). Re-raises a
        KeyboardInterrupt/SystemExit that escaped a callback, as asyncio does.
        """
        self._check_closed()
        self._check_running()
        self._setup_running()
        try:
            with ctrl_c_interrupts(self._csock.fileno(), self._on_sigint):
                self._arm_after_start()
                code = self._exec()
        finally:
            self._cleanup_running()
            exc, self._pending_exc = self._pending_exc, None
        if exc is not None:
            raise exc
        return code

    def _exec(self) -> int:
        """The application's ``exec()``; inside another Qt event loop of this thread (the desktop
        app runs a program's ``asyncio.run`` from a slot) a nested QEventLoop instead, as a
        modal dialog runs, which :meth:`_request_exit` quits without quitting the app."""
        if QtCore.QThread.currentThread().loopLevel() == 0:
            return self._qt_app.exec()
        self._nested_exec = QtCore.QEventLoop()
        try:
            return self._nested_exec.exec()
        finally:
            self._nested_exec = None

    def stop(self) -> None:
        """Stop after the current iteration (or after one iteration, if not running yet)."""
        self._stopping = True
        if not self._wake_armed:
            self._arm_wakeup()

    def _setup_running(self) -> None:
        self._set_coroutine_origin_tracking(self._debug)
        self._old_agen_hooks = sys.get_asyncgen_hooks()
        self._thread_id = threading.get_ident()
        sys.set_asyncgen_hooks(
            firstiter=self._asyncgen_firstiter_hook, finalizer=self._asyncgen_finalizer_hook
        )
        _cpython.set_running_loop(self)
        self._running = True
        self._exit_requested = False

    def _arm_after_start(self) -> None:
        if self._ready or self._stopping or self._pending_exc is not None:
            self._arm_wakeup()
        self._arm_timer()

    def end_running(self) -> None:
        """An ``already_running`` loop stops being the running loop now, as if the ``exec()``
        it lived in had ended (for an app closing it with no exec() left to end)."""
        if self._running:
            self._cleanup_running()

    def _cleanup_running(self) -> None:
        self._running = False
        self._stopping = False
        self._exit_requested = False
        self._disarm()
        self._thread_id = None
        _cpython.set_running_loop(None)
        self._set_coroutine_origin_tracking(False)
        if self._old_agen_hooks is not None:
            sys.set_asyncgen_hooks(*self._old_agen_hooks)
            self._old_agen_hooks = None

    def _on_sigint(self) -> None:
        if self._in_batch:
            raise KeyboardInterrupt  # inside a callback: interrupt it, as asyncio's loop would
        self._fail(KeyboardInterrupt())

    def close(self) -> None:
        """Close the loop: nothing fires afterwards; the default executor is shut down without
        waiting (queued jobs cancelled, a stuck job keeps its thread but not us). The loop's Qt
        objects are deleted here, on its thread (see :func:`.plumbing.delete_qt_objects`)."""
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        if self.is_closed():
            return
        self._disarm()
        self._carry = 0
        self._drop_default_executor()
        super().close()
        with self._threadsafe_lock:  # a thread still emitting a wake-up has finished now
            pass
        self._waker.delete()  # and qasync's timer object (unused) and its disconnected signaller:
        plumbing.delete_qt_objects(*_cpython.qasync_qt_objects(self))

    def __del__(self, _warn: Any = warnings.warn) -> None:
        """asyncio's: warn about an unclosed loop and close it. Collected at interpreter exit,
        after Qt deleted the loop's objects, closing can only fail on them: nothing is left to
        release then, so that failure is not reported."""
        try:
            super().__del__(_warn)
        except RuntimeError:  # "Signal source has been deleted", "... already deleted"
            pass

    # -- introspection -------------------------------------------------------------------------
    def queue_snapshot(self, timers: int = 5) -> QueueSnapshot:
        """The ready count, the next ``timers`` live timers and whether a batch is running
        (see :func:`.plumbing.snapshot_of`: nothing is kept for it between calls)."""
        return snapshot_of(self._ready, self._scheduled, self._in_batch, timers)
