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
import sys
import time
import types
from typing import Any, Protocol

from loopviz import _cpython
from loopviz._native import speedups
from loopviz.instrument.sites import _user_cache, is_user_code, walk
from loopviz.trace.recorder import COMPACT_AT, SITE_DONE, Recorder
from loopviz.trace.records import Outcome

_now = time.monotonic_ns
_CancelledError = asyncio.CancelledError
_Task = asyncio.Task
_user_get = _user_cache.get
_COROUTINE = types.CoroutineType


class StepSink(Protocol):
    """What a proxy records into and asks about its task's suspensions: the
    :class:`~loopviz.instrument.tracker.Tracker` is the one implementation. The proxy sees only
    this, so ``proxy`` never imports ``tracker`` (the tracker makes the proxies).

    Both cores read ``recorder``, ``steps`` and ``sleep0_sites`` once per proxy; the C core
    also reads ``listeners`` (an empty list lets it finish a task without calling back)."""

    recorder: Recorder
    steps: Any  # the recorder's flat step buffer (an IntLog, or a list of ints)
    dues: Any  # the recorder's flat (task, suspended_at, due) buffer
    sleep0_sites: dict[tuple[int, ...], int]
    sleep_dues: dict[Any, int]
    executor_jobs: dict[Any, int]
    listeners: list[Any]

    def task_ended(self, task_id: int, end: int, outcome: Outcome, text: str | None,
                   exc: BaseException, task: asyncio.Task[Any] | None) -> None: ...

    def classify_future(self, fut: Any, libs: list[Any]) -> tuple[str, str, tuple[int, ...]]: ...

    def site_for(self, users: list[Any], libs: list[Any], called: Any, kind: str,
                 label: str) -> int: ...


def _exc_text(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _PythonCore:
    """The per-step path in pure Python: the reference for ``_speedups.ProxyCore``, which does
    exactly this in C (used when the extension was not built, or ``LOOPVIZ_PURE_PYTHON`` is set).
    The methods it calls back (``_read_name``, ``_bare_yield_site``, ``_suspended_on``,
    ``_finished``, ``_compact``) are CoroutineProxy's, shared by both."""

    __slots__ = ("__weakref__", "_coro", "_last_inner", "_last_lasti", "_last_site", "_named",
                 "_rec", "_sleep0", "_steps", "_tracker", "task", "task_id", "waiting")

    def __init__(self, coro: Any, task_id: int, tracker: StepSink) -> None:
        self._coro = coro
        self.task_id = task_id  # the task's recorded id (the tracker and sessions read it)
        self._tracker = tracker
        self._rec = tracker.recorder
        self._steps = tracker.steps
        self._sleep0 = tracker.sleep0_sites
        # The last bare-yield site of this task, valid while the task is again suspended at
        # the same instruction of its own coroutine on the same library coroutine.
        self._last_lasti = -1
        self._last_inner: Any = None
        self._last_site = 0
        self.waiting = False
        self._named = False  # the Task's name is read at its first step (asyncio sets it late)
        self.task: Any = None  # weakref to the Task, set by the factory

    def send(self, value: Any) -> Any:
        if not self._named:
            self._read_name()
        start = _now()
        try:
            yielded = self._coro.send(value)
        except BaseException as exc:
            self._finished(start, exc)
            raise
        end = _now()
        try:
            site = (self._bare_yield_site(end) if yielded is None
                    else self._suspended_on(yielded, end))
            steps = self._steps
            steps.extend((self.task_id, start, end, site))
            if len(steps) > COMPACT_AT:
                self._compact()
        except Exception as exc:  # a failure of the recorder: the program must not notice
            sys.unraisablehook(_Unraisable(exc, self))  # type: ignore[arg-type]  # its fields
        return yielded

    def __getattr__(self, name: str) -> Any:
        # __name__, __qualname__, ...: whatever the coroutine has. Only in this pure-Python
        # core: the C core forwards exactly the attributes a native coroutine has, by explicit
        # descriptors, because with a __getattr__ Python 3.11's Task would make a bound method
        # of ``send`` on every step.
        return getattr(self._coro, name)


class _Unraisable:
    """What ``sys.unraisablehook`` expects (the C core reports through the same hook)."""

    __slots__ = ("err_msg", "exc_traceback", "exc_type", "exc_value", "object")

    def __init__(self, exc: BaseException, obj: Any) -> None:
        self.exc_type, self.exc_value, self.exc_traceback = type(exc), exc, exc.__traceback__
        self.err_msg, self.object = "loopviz: recording a step failed", obj


if speedups is not None:
    speedups.configure(COMPACT_AT, _user_cache, _cpython.TASK_MUST_CANCEL)
    _Core: type = speedups.ProxyCore
else:  # built without a compiler (or LOOPVIZ_PURE_PYTHON): the same behaviour, slower
    _Core = _PythonCore


class CoroutineProxy(_Core, collections.abc.Coroutine[Any, Any, Any]):  # type: ignore[misc]
    """Invariant: ``waiting`` is True only between a suspension on a future and the moment
    that future schedules the task's wake-up (the tracker's ``call_soon`` hook clears it)."""

    __slots__ = ()  # the fields are the core's (``_PythonCore.__init__`` lists them)
    _last_lasti: int
    _last_inner: Any
    _last_site: int

    # ---- the two calls a Task makes (send: the core's) ------------------------------------
    _slow_send = _PythonCore.send  # any coroutine-like object, whichever core is in use

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        if not self._named:
            self._read_name()
        start = _now()
        try:
            if val is None and tb is None:
                yielded = self._coro.throw(typ)
            else:  # legacy signature, still forwarded faithfully
                yielded = self._coro.throw(typ, val, tb)
        except BaseException as exc:
            self._finished(start, exc)
            raise
        end = _now()
        site = self._suspended_on(yielded, end)
        self._steps.extend((self.task_id, start, end, site))
        return yielded

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Any:
        return self._coro.__await__()

    # ---- bookkeeping ----------------------------------------------------------------------
    def _read_name(self) -> None:
        """create_task names a task only after the factory returns: by the first step the name
        is there (an eager first step runs before it: then this waits for the next one)."""
        task = self.task() if self.task is not None else None
        if task is not None:
            entry = self._rec.tasks.get(self.task_id)
            if entry is not None:
                entry.name = task.get_name()
            self._named = True

    def _compact(self) -> None:
        self._rec.compact()

    def _finished(self, start: int, exc: BaseException) -> None:
        tr = self._tracker
        end = _now()
        self._steps.extend((self.task_id, start, end, SITE_DONE))
        task = self.task() if self.task is not None else None
        if isinstance(exc, StopIteration):
            # A Task that was asked to cancel turns a normal return into a cancellation.
            cancelled = task is not None and _cpython.must_cancel(task)
            outcome, text = ("cancelled", None) if cancelled else ("result", None)
        elif isinstance(exc, _CancelledError):
            outcome, text = "cancelled", None
        else:
            outcome, text = "exception", _exc_text(exc)
        tr.task_ended(self.task_id, end, outcome, text, exc, task)

    def _bare_yield_site(self, end: int) -> int:
        """Site of a bare yield (``asyncio.sleep(0)``), the hottest path.

        Shortcut: suspended again at the same instruction of its own coroutine, on a library
        coroutine of the same code as last time, the task is at the same site. Otherwise walk
        only the user frames, reading user-ness from ``cr_code`` (touching a short-lived library
        coroutine's ``cr_frame`` would materialise a frame object), keyed by the chain of
        (code id, f_lasti): the same helper awaited from two places is two sites."""
        coro = self._coro
        inner = coro.cr_await
        lasti = coro.cr_frame.f_lasti
        if (lasti == self._last_lasti and type(inner) is _COROUTINE
                and inner.cr_code is self._last_inner):
            return self._last_site
        key: tuple[int, ...] = ()
        depth = 0
        while type(coro) is _COROUTINE:
            code = coro.cr_code
            ok = _user_get(id(code))
            if ok is None:
                ok = is_user_code(code)
            if not ok:
                break
            frame = coro.cr_frame
            key += (id(code), frame.f_lasti if frame is not None else -1)
            depth += 1
            coro = coro.cr_await
        site = self._sleep0.get(key) if key else None
        if site is None:
            site = self._suspended_on(None, end)
            if key:
                self._sleep0[key] = site
        if depth == 1 and type(coro) is _COROUTINE:  # own frame, then straight into a library
            self._last_lasti, self._last_inner, self._last_site = lasti, coro.cr_code, site
        else:
            self._last_lasti = -1
        return site

    def _suspended_on(self, yielded: Any, end: int) -> int:
        """Classify what the task now waits on; returns the site id of the suspension."""
        tr = self._tracker
        users, libs, called = walk(self._coro)
        label = ""
        if yielded is None:
            kind, label = "sleep", "asyncio.sleep(0)"
        else:
            self.waiting = True
            due = tr.sleep_dues.pop(yielded, None)
            if due is not None:
                kind, label = "sleep", "asyncio.sleep"
                tr.dues.extend((self.task_id, end, due))
            else:
                job = tr.executor_jobs.pop(yielded, None)
                if job is not None:
                    kind, label = "executor", tr.recorder.jobs[job].function
                else:
                    kind, label, targets = tr.classify_future(yielded, libs)
                    if targets:
                        tr.recorder.add_edges(self.task_id, end, targets)
        site: int = tr.site_for(users, libs, called, kind, label)
        return site

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
        running: bool = self._coro.cr_running
        return running

    @property
    def cr_origin(self) -> Any:
        return getattr(self._coro, "cr_origin", None)

    @property
    def cr_suspended(self) -> bool:
        return getattr(self._coro, "cr_suspended", False)

    def __repr__(self) -> str:
        return repr(self._coro)


if speedups is not None:
    speedups.give_am_send(CoroutineProxy)  # 3.12+ tasks step coroutines through am_send
