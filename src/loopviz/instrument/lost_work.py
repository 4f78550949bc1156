"""Lost work: failures nobody will ever see, coroutines that never ran, tasks collected pending.

- *exception-never-retrieved*: when a task's coroutine raises (the Tracker's ``task_ended``),
  if nothing awaits it (no awaiting task, ``gather``, ``wait`` or TaskGroup among its
  callbacks) a check runs ``grace_s`` later on the loop; if the exception is still unretrieved
  (``task._log_traceback``) it is certain nobody will look: report it then, not whenever the
  garbage collector gets to the task.
- *never-awaited*: coroutine origin tracking is switched on, and ``warnings``'s own hook for
  "coroutine ... was never awaited" (``warnings._warn_unawaited_coroutine``, which CPython calls
  with the coroutine itself) is wrapped: the origin gives the creating line. The original hook
  still runs, so the RuntimeWarning is unchanged.
- *task-collected-pending*: a weak reference per live task; its callback fires only if a task
  is freed before it ended. GC callbacks may run anywhere, so they only append to a list that
  the loop thread flushes.

Each is reported once (per task, per creating line). Everything patched is put back.
"""

from __future__ import annotations

import asyncio
import sys
import traceback
import warnings
import weakref
from typing import Any

from loopviz.instrument.report import caller_site, emit, is_user_file, where
from loopviz.instrument.runaway import RunawayAborted
from loopviz.instrument.tracker import TaskListener
from loopviz.trace.records import Diagnostic


def _awaits(callback: Any) -> bool:
    """Is this done-callback somebody waiting for the task (rather than a user callback)?"""
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Future):
        return True  # a task's wake-up, a gather/shield outer future
    module = getattr(callback, "__module__", None) or ""
    return module.startswith("asyncio")


class LostWork(TaskListener):
    """A SessionPlugin and TaskListener. Invariant: installed on at most one recording."""

    def __init__(self, grace_s: float = 0.2, origin_depth: int = 16) -> None:
        self.grace_s = grace_s
        self.origin_depth = origin_depth
        self._recorder: Any = None
        self._tracker: Any = None
        self._loop: Any = None
        self._live: dict[int, weakref.ref] = {}
        self._collected: list[int] = []
        self._timers: dict[int, Any] = {}
        self._reported: set[Any] = set()
        self._prev_depth = 0
        self._prev_warn: Any = None

    def start(self, session: Any) -> None:
        self.install(session.recording)

    def stop(self, session: Any) -> None:
        self.uninstall()

    def install(self, recording: Any) -> None:
        if self._recorder is not None or recording.tracker is None:
            return
        self._recorder, self._tracker, self._loop = (
            recording.recorder, recording.tracker, recording.loop)
        self._tracker.listeners.append(self)
        self._prev_depth = sys.get_coroutine_origin_tracking_depth()
        sys.set_coroutine_origin_tracking_depth(max(self._prev_depth, self.origin_depth))
        self._prev_warn = getattr(warnings, "_warn_unawaited_coroutine", None)
        if self._prev_warn is not None:
            warnings._warn_unawaited_coroutine = self._unawaited  # type: ignore[attr-defined]

    def uninstall(self) -> None:
        if self._recorder is None:
            return
        if self in self._tracker.listeners:
            self._tracker.listeners.remove(self)
        sys.set_coroutine_origin_tracking_depth(self._prev_depth)
        if getattr(warnings, "_warn_unawaited_coroutine", None) == self._unawaited:
            warnings._warn_unawaited_coroutine = self._prev_warn  # type: ignore[attr-defined]
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        self._live.clear()  # the weakrefs die with it: their callbacks never fire
        self._flush_collected()
        self._recorder = self._tracker = self._loop = None

    # ---- TaskListener (loop thread) -------------------------------------------------------------
    def task_created(self, task_id: int, task: asyncio.Task, coro: Any) -> None:
        collected = self._collected
        self._live[task_id] = weakref.ref(task, lambda _r, t=task_id: collected.append(t))
        if collected:
            self._flush_collected()

    def task_ended(self, task_id: int, outcome: str, exc: BaseException | None,
                   task: asyncio.Task | None) -> None:
        self._live.pop(task_id, None)
        if self._collected:
            self._flush_collected()
        if outcome != "exception" or task is None or isinstance(exc, RunawayAborted):
            return
        if any(_awaits(cb) for cb, _ctx in (task._callbacks or ())):
            return
        loop = self._loop
        # The class's call_later: the check is loopviz's own, not a user callback to time.
        self._timers[task_id] = type(loop).call_later(
            loop, self.grace_s, self._check, task_id, task, exc)

    def _check(self, task_id: int, task: asyncio.Task, exc: BaseException) -> None:
        self._timers.pop(task_id, None)
        if self._recorder is None or not task.done() or task.cancelled():
            return
        if not getattr(task, "_log_traceback", False) or task_id in self._reported:
            return
        self._reported.add(task_id)
        rec = self._recorder
        entry = rec.tasks.get(task_id)
        file, line = (entry.file, entry.line) if entry is not None else ("", 0)
        raised = ""
        for fs in reversed(traceback.extract_tb(exc.__traceback__)):
            if is_user_file(fs.filename):
                raised = f", raised at {where(fs.filename, fs.lineno or 0)}"
                break
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        emit(rec, Diagnostic(
            rec.now(), "exception-never-retrieved",
            f"task {task.get_name()!r} failed with {text} and nothing awaited it or retrieved "
            f"its exception (created at {where(file, line)}{raised}); keep a reference and "
            f"await it, or add a done-callback that reports", task_id, file, line))

    # ---- GC and warnings hooks (any thread) -----------------------------------------------------
    def _flush_collected(self) -> None:
        rec = self._recorder
        while self._collected and rec is not None:
            task_id = self._collected.pop()
            entry = rec.tasks.get(task_id)
            if entry is None or entry.outcome != "pending" or task_id in self._reported:
                continue
            self._reported.add(task_id)
            emit(rec, Diagnostic(
                rec.now(), "task-collected-pending",
                f"task {entry.current_name()!r} ({entry.coro}) was garbage-collected while "
                f"still pending: nobody kept a reference to it (created at "
                f"{where(entry.file, entry.line)}); keep tasks in a set until they are done",
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
        if site is None:
            code = getattr(coro, "cr_code", None)
            if code is None or not is_user_file(code.co_filename) or origin:
                return
            site = caller_site(sys._getframe(1))
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
            f"coroutine {name}() created at {where(file, line)} was never awaited: its body "
            f"never ran (write 'await {name.rsplit('.', 1)[-1]}(...)' or start a task)",
            None, file, line))
