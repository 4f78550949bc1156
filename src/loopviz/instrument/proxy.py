"""The coroutine proxy: every task's coroutine is wrapped in one, so each ``send``/``throw``
asyncio makes is exactly one *step* we can time, and what it yields tells us what the task
waits on.

Contract: a ``Task`` only ever calls ``send(None)`` and ``throw(exc)`` on its coroutine, and
reads ``cr_*`` attributes for repr, ``get_stack()`` and tracebacks; the proxy forwards all of
them, so the program cannot tell it is there. Hot path: per step two clock reads, one walk of
the (short) ``cr_await`` chain, one tuple appended to a flat list.
"""

from __future__ import annotations

import asyncio
import collections.abc
import threading
import time
import types
from typing import TYPE_CHECKING, Any

from loopviz.instrument.sites import PRIMITIVES, _user_cache, is_user_code, walk
from loopviz.trace.recorder import COMPACT_AT, SITE_DONE

if TYPE_CHECKING:
    from loopviz.instrument.tracker import Tracker

_now = time.monotonic_ns
_CancelledError = asyncio.CancelledError
_Task = asyncio.Task
_user_get = _user_cache.get
_COROUTINE = types.CoroutineType
_get_ident = threading.get_ident


def _exc_text(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class CoroutineProxy(collections.abc.Coroutine):
    """Invariant: ``_waiting`` is True only between a suspension on a future and the moment
    that future schedules the task's wake-up (the tracker's ``call_soon`` hook clears it)."""

    __slots__ = ("__weakref__", "_coro", "_extend", "_id", "_ident", "_rec", "_sleep0",
                 "_steps", "_tid", "_tracker", "_waiting", "task")

    def __init__(self, coro: Any, task_id: int, tracker: Tracker) -> None:
        self._coro = coro
        self._id = task_id
        self._tracker = tracker
        self._rec = tracker.recorder
        self._steps = tracker.steps
        self._extend = tracker.steps.extend
        self._sleep0 = tracker.sleep0_sites
        self._ident = tracker.loop_ident
        self._tid = tracker.loop_tid
        self._waiting = False
        self.task: Any = None  # weakref to the Task, set by the factory

    # ---- the two calls a Task makes -----------------------------------------------------
    def send(self, value: Any) -> Any:
        rec = self._rec
        prev = rec.running_task
        rec.running_task = self._id
        start = _now()
        try:
            yielded = self._coro.send(value)
        except BaseException as exc:
            rec.running_task = prev
            self._finished(start, exc)
            raise
        end = _now()
        rec.running_task = prev
        if yielded is None:
            # asyncio.sleep(0), the hottest path, inlined: walk only the user frames, reading
            # user-ness from cr_code (touching a short-lived library coroutine's cr_frame would
            # materialise a frame object), and key the site cache code id → f_lasti.
            # The site is keyed by the whole chain of user frames (code id, f_lasti): the same
            # helper awaited from two places is two sites, each with its own async stack.
            coro = self._coro
            key: tuple[int, ...] = ()
            while type(coro) is _COROUTINE:
                code = coro.cr_code
                ok = _user_get(id(code))
                if ok is None:
                    ok = is_user_code(code)
                if not ok:
                    break
                key += (id(code), coro.cr_frame.f_lasti)
                coro = coro.cr_await
            site = self._sleep0.get(key) if key else None
            if site is None:
                site = self._suspended_on(None, end)
                if key:
                    self._sleep0[key] = site
        else:
            site = self._suspended_on(yielded, end)
        if _get_ident() == self._ident:
            self._extend((self._id, start, end, self._tid, site))
        else:
            self._extend((self._id, start, end, self._tracker.thread_of_step(), site))
        if len(self._steps) > COMPACT_AT:
            rec.compact()
        return yielded

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        rec = self._rec
        prev = rec.running_task
        rec.running_task = self._id
        start = _now()
        try:
            if val is None and tb is None:
                yielded = self._coro.throw(typ)
            else:  # legacy signature, still forwarded faithfully
                yielded = self._coro.throw(typ, val, tb)
        except BaseException as exc:
            rec.running_task = prev
            self._finished(start, exc)
            raise
        end = _now()
        rec.running_task = prev
        site = self._suspended_on(yielded, end)
        self._extend((self._id, start, end, self._tracker.thread_of_step(), site))
        return yielded

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Any:
        return self._coro.__await__()

    # ---- bookkeeping ----------------------------------------------------------------------
    def _finished(self, start: int, exc: BaseException) -> None:
        tr = self._tracker
        end = _now()
        self._extend((self._id, start, end, tr.thread_of_step(), SITE_DONE))
        task = self.task() if self.task is not None else None
        if isinstance(exc, StopIteration):
            # A Task that was asked to cancel turns a normal return into a cancellation.
            cancelled = task is not None and getattr(task, "_must_cancel", False)
            outcome, text = ("cancelled", None) if cancelled else ("result", None)
        elif isinstance(exc, _CancelledError):
            outcome, text = "cancelled", None
        else:
            outcome, text = "exception", _exc_text(exc)
        tr.task_ended(self._id, end, outcome, text, exc, task)

    def _suspended_on(self, yielded: Any, end: int) -> int:
        """Classify what the task now waits on; returns the site id of the suspension."""
        tr = self._tracker
        users, lib, called = walk(self._coro)
        label = ""
        if yielded is None:
            kind, label = "sleep", "asyncio.sleep(0)"
        else:
            self._waiting = True
            due = tr.sleep_dues.pop(yielded, None)
            if due is not None:
                kind, label = "sleep", "asyncio.sleep"
                tr.dues.extend((self._id, end, due))
            else:
                job = tr.executor_jobs.pop(yielded, None)
                if job is not None:
                    kind, label = "executor", tr.recorder.jobs[job].function
                else:
                    kind, label, targets = tr.classify_future(yielded, lib)
                    if targets:
                        tr.recorder.add_edges(self._id, end, targets)
        return tr.site_for(users, lib, called, kind, label)

    # ---- transparency -------------------------------------------------------------------------
    @property
    def cr_frame(self) -> Any:
        return self._coro.cr_frame

    @property
    def cr_await(self) -> Any:
        return self._coro.cr_await

    @property
    def cr_code(self) -> Any:
        return self._coro.cr_code

    @property
    def cr_running(self) -> bool:
        return self._coro.cr_running

    @property
    def cr_origin(self) -> Any:
        return getattr(self._coro, "cr_origin", None)

    def __getattr__(self, name: str) -> Any:
        # __name__, __qualname__, cr_suspended, gi_* ...: whatever the coroutine has.
        return getattr(self._coro, name)

    def __repr__(self) -> str:
        return repr(self._coro)


def primitive_of(lib_frame: Any) -> tuple[str, str] | None:
    if lib_frame is None:
        return None
    return PRIMITIVES.get(lib_frame.f_code.co_qualname)
