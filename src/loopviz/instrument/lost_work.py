"""Lost work: failures nobody will ever see, coroutines that never ran, tasks collected pending.

- *exception-never-retrieved*: when a task's coroutine raises (the Tracker's
  ``failure_listeners``: told only of failures, so a task that succeeds costs nothing here),
  if nothing awaits it (no awaiting task, ``gather``, ``wait`` or TaskGroup among its
  callbacks) a check runs ``grace_s`` later on the loop; if the exception is still unretrieved
  (:func:`loopviz._cpython.exception_unretrieved`) it is certain nobody will look: report it
  then, not whenever the garbage collector gets to the task.
- *never-awaited*: ``warnings``'s own hook for "coroutine ... was never awaited"
  (:func:`loopviz._cpython.unawaited_hook`, which CPython calls with the coroutine itself) is
  wrapped; :mod:`~loopviz.instrument.unawaited` finds the creating line from the frames
  running at that moment. Coroutine origin tracking stays off: it would cost every coroutine
  created, each ``asyncio.sleep`` included (``origin_depth`` turns it on, for whoever wants
  it). The original hook still runs, so the RuntimeWarning is unchanged.
- *task-collected-pending*: asyncio itself tells the loop's exception handler "Task was
  destroyed but it is pending!" when it frees such a task: a handler in front of the loop's
  own (which still runs) reports it, with no per-task weak reference. It may run in any thread
  (inside a garbage collection): :func:`~loopviz.instrument.report.emit` is safe there.

Each is reported once (per task, per creating line). Everything patched is put back.
"""

from __future__ import annotations

import asyncio
import sys
import traceback
from typing import Any

from loopviz import _cpython
from loopviz.instrument.plugin import RecordingView
from loopviz.instrument.report import caller_site, emit, is_user_file
from loopviz.instrument.runaway import RunawayAborted
from loopviz.instrument.unawaited import creation_site
from loopviz.trace.records import Diagnostic
from loopviz.trace.wording import place


def _awaits(callback: Any) -> bool:
    """Is this done-callback somebody waiting for the task (rather than a user callback)?"""
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Future):
        return True  # a task's wake-up, a gather/shield outer future
    module = getattr(callback, "__module__", None) or ""
    return module.startswith("asyncio")


class LostWork:
    """An Instrument. Invariant: installed on at most one recording; while installed, its
    handler is the loop's exception handler unless the program set its own meanwhile."""

    def __init__(self, grace_s: float = 0.2, origin_depth: int = 0) -> None:
        self.grace_s = grace_s
        self.origin_depth = origin_depth
        self._recorder: Any = None
        self._tracker: Any = None
        self._loop: Any = None
        self._timers: dict[int, Any] = {}
        self._reported: set[Any] = set()
        self._prev_depth = 0
        self._prev_warn: Any = None
        self._prev_handler: Any = None

    def install(self, recording: RecordingView) -> None:
        if self._recorder is not None or recording.tracker is None:
            return
        self._recorder, self._tracker, self._loop = (
            recording.recorder, recording.tracker, recording.loop)
        self._tracker.failure_listeners.append(self._failed)
        self._prev_handler = self._loop.get_exception_handler()
        self._loop.set_exception_handler(self._loop_exception)
        self._prev_depth = sys.get_coroutine_origin_tracking_depth()
        if self.origin_depth > self._prev_depth:
            sys.set_coroutine_origin_tracking_depth(self.origin_depth)
        self._prev_warn = _cpython.unawaited_hook()
        if self._prev_warn is not None:
            _cpython.set_unawaited_hook(self._unawaited)

    def uninstall(self) -> None:
        if self._recorder is None:
            return
        if self._failed in self._tracker.failure_listeners:
            self._tracker.failure_listeners.remove(self._failed)
        if self._loop.get_exception_handler() == self._loop_exception:
            self._loop.set_exception_handler(self._prev_handler)
        if self.origin_depth > self._prev_depth:
            sys.set_coroutine_origin_tracking_depth(self._prev_depth)
        if self._prev_warn is not None and _cpython.unawaited_hook() == self._unawaited:
            _cpython.set_unawaited_hook(self._prev_warn)
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        self._recorder = self._tracker = self._loop = None

    # ---- failures (loop thread) -------------------------------------------------------------
    def _failed(self, task_id: int, exc: BaseException, task: asyncio.Task[Any] | None) -> None:
        if task is None or isinstance(exc, RunawayAborted):
            return
        if any(_awaits(cb) for cb in _cpython.done_callbacks(task)):
            return
        loop = self._loop
        # The class's call_later: the check is loopviz's own, not a user callback to time.
        self._timers[task_id] = type(loop).call_later(
            loop, self.grace_s, self._check, task_id, task, exc)

    def _check(self, task_id: int, task: asyncio.Task[Any], exc: BaseException) -> None:
        self._timers.pop(task_id, None)
        if self._recorder is None or not task.done() or task.cancelled():
            return
        if not _cpython.exception_unretrieved(task) or task_id in self._reported:
            return
        self._reported.add(task_id)
        rec = self._recorder
        entry = rec.tasks.get(task_id)
        file, line = (entry.file, entry.line) if entry is not None else ("", 0)
        raised = ""
        for fs in reversed(traceback.extract_tb(exc.__traceback__)):
            if is_user_file(fs.filename):
                raised = f", raised at {place(fs.filename, fs.lineno or 0)}"
                break
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        emit(rec, Diagnostic(
            rec.now(), "exception-never-retrieved",
            f"task {task.get_name()!r} failed with {text} and nothing awaited it or retrieved "
            f"its exception (created at {place(file, line)}{raised}); keep a reference and "
            f"await it, or add a done-callback that reports", task_id, file, line))

    # ---- GC and warnings hooks (any thread) -----------------------------------------------------
    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        try:
            if context.get("message") == _cpython.TASK_DESTROYED_PENDING:
                self._collected_pending(context.get("task"))
        finally:
            prev = self._prev_handler
            if prev is not None:
                prev(loop, context)
            else:
                loop.default_exception_handler(context)

    def _collected_pending(self, task: Any) -> None:
        rec, tracker = self._recorder, self._tracker
        task_id = tracker.task_id_of(task) if tracker is not None else None
        entry = rec.tasks.get(task_id) if task_id is not None else None
        if entry is None or entry.outcome != "pending" or task_id in self._reported:
            return
        self._reported.add(task_id)
        emit(rec, Diagnostic(
            rec.now(), "task-collected-pending",
            f"task {task.get_name()!r} ({entry.coro}) was garbage-collected while "
            f"still pending: nobody kept a reference to it (created at "
            f"{place(entry.file, entry.line)}); keep tasks in a set until they are done",
            task_id, entry.file, entry.line))

    def _unawaited(self, coro: Any) -> None:
        try:
            self._note_unawaited(coro)
        finally:
            if self._prev_warn is not None:
                self._prev_warn(coro)

    def _note_unawaited(self, coro: Any) -> None:
        rec = self._recorder
        if rec is None:
            return
        origin = getattr(coro, "cr_origin", None) or ()
        site = next(((f, n) for f, n, _fn in origin if is_user_file(f)), None)
        if site is None and not origin:
            frame = _cpython.getframe(2)  # the frame running when the coroutine was finalized
            site = creation_site(coro, frame)
            code = getattr(coro, "cr_code", None)
            if site is None and code is not None and is_user_file(code.co_filename):
                site = caller_site(frame)  # a user coroutine: its loss is worth a guess
        if site is None:
            return
        file, line = site
        name = getattr(coro, "__qualname__", "coroutine")
        key = (file, line, name)
        if key in self._reported or any(
                d.kind == "nested-run" and (d.file, d.line) == (file, line)
                for d in tuple(rec.diagnostics)):
            return
        self._reported.add(key)
        emit(rec, Diagnostic(
            rec.now(), "never-awaited",
            f"coroutine {name}() created at {place(file, line)} was never awaited: its body "
            f"never ran (write 'await {name.rsplit('.', 1)[-1]}(...)' or start a task)",
            None, file, line))
