"""The Tracker instruments one event loop: a task factory that wraps every coroutine in a
:class:`CoroutineProxy`, and thin hooks on the loop's scheduling methods that tell *when* a
waiting task became ready, which futures are sleep timers or executor jobs, and how long plain
callbacks ran.

Hooks are instance attributes on the loop object (``call_soon``, ``call_later``, ``call_at``,
``run_in_executor``); asyncio's own Task and Future look these up by attribute, so the same
mechanism works on plain asyncio and on loopviz's Qt loop. ``uninstall`` puts back exactly what
was there. Nothing here schedules anything on the loop.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import sys
import threading
import time
import types
import weakref
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from loopviz import _cpython
from loopviz._native import speedups
from loopviz.instrument import anyio_jobs, task_factories
from loopviz.instrument.callbacks import TimedCallback, code_of
from loopviz.instrument.jobs import callable_name, in_process, timed_job
from loopviz.instrument.overrides import hook_rare, restore_overrides, save_overrides
from loopviz.instrument.proxy import CoroutineProxy
from loopviz.instrument.sites import (
    _user_cache,
    chain_key,
    frame_line,
    is_loopviz_code,
    is_stdlib_file,
    is_user_code,
    primitive_of,
)
from loopviz.trace.recorder import Recorder, TaskEntry
from loopviz.trace.records import Outcome

_now = time.monotonic_ns
_get_ident = threading.get_ident
_Task = asyncio.Task
_current_task = _cpython.current_task
_getframe = _cpython.getframe
_user_get = _user_cache.get
_SLEEP_TIMER = _cpython.SLEEP_TIMER
_HOOKED = ("call_soon", "call_later", "call_at")  # instance attributes (hot)
_BUILTIN, _FUNCTION, _METHOD = type(len), types.FunctionType, types.MethodType
# What a task's bare step never is; a call_soon of anything else with no arguments may be a
# user callback to time.
_PY_CALLABLES = (_FUNCTION, _METHOD, functools.partial)
_BASE_CALL_LATER = asyncio.BaseEventLoop.call_later
_CO_COROUTINE = inspect.CO_COROUTINE


class TaskListener:
    """Optional hooks for rare task events (diagnostics subscribe here). Each fires on the loop
    thread; a listener that raises is removed and reported on stderr, never breaking the loop."""

    def task_created(self, task_id: int, task: asyncio.Task[Any], coro: Any) -> None:
        """After the factory created ``task`` (eager tasks may already have run a step)."""

    def task_ended(self, task_id: int, outcome: Outcome, exc: BaseException | None,
                   task: asyncio.Task[Any] | None) -> None:
        """When the task's coroutine returned or raised (its last step ended)."""


class Tracker:
    """Invariants: installed at most once at a time; while installed, every task the loop's
    ``create_task`` makes is wrapped and registered in the recorder before its first step;
    ``running`` is the id of the task whose step is on the stack (None between steps)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, recorder: Recorder,
                 *, time_callbacks: bool = True) -> None:
        self.loop = loop
        self.recorder = recorder
        self.steps = recorder.steps
        self.dues = recorder.dues
        self.wakes = recorder.wakes
        self.sleep_dues: dict[Any, int] = {}
        self.executor_jobs: dict[Any, int] = {}
        self.listeners: list[TaskListener] = []
        # Told only when a task's coroutine raises: (task id, exception, task or None).
        # Unlike ``listeners`` (which send every task's creation and end through Python),
        # these cost nothing for tasks that succeed: a failure always takes the Python path.
        self.failure_listeners: list[Callable[[int, BaseException, Any], None]] = []
        self._sites: dict[tuple[tuple[int, ...], str, str], int] = {}
        self._codes: dict[int, Any] = {}
        self.sleep0_sites: dict[tuple[int, ...], int] = {}  # user chain key → site id
        self._time_callbacks = time_callbacks
        self.loop_ident: int | None = None
        self.loop_tid = 0
        self._saved: dict[str, Any] = {}
        self._undo_executor: Callable[[], None] = lambda: None
        self._prev_factory: Callable[..., Any] | None = None
        self.installed = False

    # ---- install / uninstall --------------------------------------------------------------
    def install(self) -> None:
        if self.installed:
            raise RuntimeError("this tracker is already installed")
        loop: Any = self.loop  # its methods are replaced by instance attributes below
        self.loop_ident = _get_ident()
        self.loop_tid = self.recorder.thread_id(self.loop_ident, role="ui-loop")
        self.recorder.running_provider = self.current_task_id
        self.recorder.loop_thread = self.loop_tid
        self._saved = save_overrides(loop, (*_HOOKED, "schedule_hook"))
        orig = {name: getattr(loop, name) for name in _HOOKED}
        if hasattr(type(loop), "schedule_hook") and self._saved["call_soon"] is None:
            # loopviz's own loop calls us from its call_soon: no Python wrapper per step.
            loop.schedule_hook = self._schedule_filter()
        else:
            loop.call_soon = self._hook_call_soon(orig["call_soon"])
        if self._saved["call_later"] is not None or type(loop).call_later is not _BASE_CALL_LATER:
            # asyncio's own call_later is call_at(time() + delay): the call_at hook sees both.
            # One instance attribute fewer matters: see overrides.py.
            loop.call_later = self._hook_timer(orig["call_later"])
        loop.call_at = self._hook_timer(orig["call_at"], absolute=True)
        # Rare: hooked on the loop's class (one instance attribute fewer: see overrides.py).
        self._undo_executor = hook_rare(loop, "run_in_executor", self._hook_executor)
        self._prev_factory = loop.get_task_factory()
        self._install_factory()
        task_factories.keep(loop, self)  # a factory the program sets is composed with ours
        self.installed = True
        self.hook_libraries()

    def hook_libraries(self) -> None:
        """Instrument what libraries run outside the loop's own hooks (anyio's worker threads);
        cheap and idempotent: called again whenever a program's loop starts running, since
        the program imports its libraries after the tracker is installed."""
        if self.installed:
            anyio_jobs.hook(self, callable_name)

    def uninstall(self) -> None:
        if not self.installed:
            return
        loop = self.loop
        anyio_jobs.unhook(self)
        restore_overrides(loop, self._saved)
        self._undo_executor()
        self._undo_executor = lambda: None
        task_factories.release(loop)
        task_factories.install_factory(loop, self._prev_factory)  # the program's latest
        self.sleep_dues.clear()
        self.executor_jobs.clear()
        # The recorder outlives us in the trace's owner: its link back to this tracker (and so
        # to the loop) would be a reference cycle a bare run does not make.
        if self.recorder.running_provider == self.current_task_id:
            self.recorder.running_provider = None
        self._saved = {}
        self._prev_factory = None
        self.installed = False

    # ---- the task factory --------------------------------------------------------------------
    def _install_factory(self) -> None:
        """Ours on the loop: the C speedups' when there is no program factory to compose."""
        task_factories.install_factory(
            self.loop, self._factory if speedups is None or self._prev_factory is not None
            else speedups.TaskFactory(self._factory, self, CoroutineProxy, TaskEntry, _Task,
                                      self.recorder.tasks, self.recorder.task_ids,
                                      _current_task, is_user_code, self.listeners))

    def program_factory(self) -> Callable[..., Any] | None:
        return self._prev_factory

    def set_program_factory(self, factory: Callable[..., Any] | None) -> None:
        """The program called ``loop.set_task_factory(factory)`` (see task_factories)."""
        self._prev_factory = factory
        self._install_factory()

    def _factory(self, loop: asyncio.AbstractEventLoop, coro: Any,
                 **kwargs: Any) -> asyncio.Task[Any]:
        """The task factory (the C speedups' TaskFactory does its common case, and hands
        everything else here)."""
        prev = self._prev_factory
        if not asyncio.iscoroutine(coro) or isinstance(coro, CoroutineProxy):
            return prev(loop, coro, **kwargs) if prev else _Task(coro, loop=loop, **kwargs)
        rec = self.recorder
        tid = rec.new_task_id()
        file, line = _creation_site()
        name = kwargs.get("name")
        if name is None and kwargs.get("eager_start"):
            # create_task names a task only after the factory returns, and an eager task may
            # end inside the factory: read the name from create_task's frame. (Other tasks read
            # it at their first step.)
            name = _cpython.create_task_name(_getframe(1))
        entry = TaskEntry("" if name is None else str(name),
                          getattr(coro, "__qualname__", type(coro).__name__),
                          self.current_task_id(), _now(), file, line)
        rec.tasks[tid] = entry  # one dict store: atomic under the GIL, readers copy it whole
        proxy = CoroutineProxy(coro, tid, self)
        task = prev(loop, proxy, **kwargs) if prev else _Task(proxy, loop=loop, **kwargs)
        # 3.11 names the task after the factory returns: the entry reads the name lazily
        # (at the task's end, or from the live task when a trace is built).
        proxy.task = entry.task_ref = weakref.ref(task)
        if self.listeners:
            self._notify_created(tid, task, coro)
        return task

    def _notify_created(self, tid: int, task: asyncio.Task[Any], coro: Any) -> None:
        for listener in tuple(self.listeners):
            self._notify(listener, "task_created", tid, task, coro)

    def task_ended(self, task_id: int, end: int, outcome: Outcome, text: str | None,
                   exc: BaseException, task: asyncio.Task[Any] | None) -> None:
        entry = self.recorder.tasks.get(task_id)
        if entry is not None and task is not None:
            entry.name = task.get_name()  # 3.11 names tasks after the factory returns
            entry.task_ref = None  # the final name is read: the weakref's ~80 bytes can go
        self.recorder.end_task(task_id, end, outcome, text)
        if self.listeners:
            err = None if outcome != "exception" else exc
            for listener in tuple(self.listeners):
                self._notify(listener, "task_ended", task_id, outcome, err, task)
        if outcome == "exception" and self.failure_listeners:
            for failed in tuple(self.failure_listeners):
                try:
                    failed(task_id, exc, task)
                except Exception as error:  # never break the loop it watches
                    self.failure_listeners.remove(failed)
                    print(f"loopviz: {failed!r} disabled after it raised {error!r}",
                          file=sys.stderr)

    def _notify(self, listener: TaskListener, hook: str, *args: Any) -> None:
        try:
            getattr(listener, hook)(*args)
        except Exception as exc:  # a broken listener must never break the loop it watches
            self.listeners.remove(listener)
            print(f"loopviz: listener {listener!r} disabled after {hook} raised {exc!r}",
                  file=sys.stderr)

    # ---- helpers the proxy calls --------------------------------------------------------------
    def current_task_id(self) -> int | None:
        """The recorded id of the task in its step now (any thread may ask: a dict read)."""
        task = _current_task(self.loop)
        if task is None:
            return None
        proxy = task.get_coro()
        return proxy.task_id if type(proxy) is CoroutineProxy else None

    def thread_of_step(self) -> int:
        ident = _get_ident()
        if ident == self.loop_ident:
            return self.loop_tid
        return self.recorder.thread_id(ident)

    def site_for(self, users: list[Any], libs: list[Any], called: Any, kind: str,
                 label: str) -> int:
        """Site id of a suspension: the chain of user frames (their stack is stored once per
        site, followed by the library call they made, ``called``), what it waits on, and where
        (the innermost user frame). A task with no frame of the user's (one a library made:
        aiohttp's request handlers, a subprocess's pipe readers) is keyed and placed by its own
        library chain instead, so two such waits never share a place: its innermost frame
        outside the stdlib (aiohttp's, not the asyncio internals it awaits), its whole chain as
        the stack."""
        chain = users if users else libs
        key = (chain_key(chain), kind, label)
        sid = self._sites.get(key)
        if sid is None:
            for f in chain:  # keep the code objects alive: their ids are in the key
                self._codes.setdefault(id(f.f_code), f.f_code)
            if users:
                where = users[-1]
                stack = tuple(frame_line(f) for f in users)
                if called is not None:
                    stack += (frame_line(called),)
            else:
                where = next((f for f in reversed(libs)
                              if not is_stdlib_file(f.f_code.co_filename)), None)
                where = where or (libs[0] if libs else None)
                stack = tuple(frame_line(f) for f in libs)
            file, line = (where.f_code.co_filename, where.f_lineno) if where else ("", 0)
            sid = self._sites[key] = self.recorder.site_id(kind, file, line, label, stack)
        return sid

    def task_id_of(self, task: Any) -> int | None:
        coro = task.get_coro() if isinstance(task, _Task) else None
        return coro.task_id if type(coro) is CoroutineProxy else None

    def classify_future(self, fut: Any, libs: list[Any]) -> tuple[str, str, tuple[int, ...]]:
        """(kind, label, awaited task ids) for a future a task yielded, ``libs`` being the
        library frames of its await chain, outermost first."""
        if isinstance(fut, _Task):
            tid = self.task_id_of(fut)
            # wait_for awaits a task itself on 3.12+ (3.11 waits on a future of its own):
            # named as the wait_for it is on every version.
            found = primitive_of(libs) if libs else None
            label = "wait_for" if found is not None and found[2] == "wait_for" else "await"
            return "task", label, (tid,) if tid is not None else ()
        found = primitive_of(libs)
        children = _cpython.gathered(fut)
        if children is not None:
            kids = self._ids(children)
            if found is not None and found[1] != "task":  # Process.communicate gathers pipes
                return found[1], found[2], kids
            return "task", "gather", kids
        if found is None:  # a bare future: named after the library call that made it
            return "future", libs[-1].f_code.co_qualname if libs else "future", ()
        frame, kind, label = found
        if kind == "task":
            if label == "TaskGroup":
                return kind, label, self._ids(_cpython.taskgroup_children(frame))
            if label == "as_completed":
                return kind, label, self._ids(_cpython.as_completed_pending(frame))
            return kind, label, self._ids(_cpython.waited_futures(frame))
        if kind == "stream" and _cpython.reader_on_pipe(frame):
            return "pipe", label, ()  # a StreamReader on a child process's pipe
        if label == "to_thread.run_sync":
            func = _cpython.anyio_job_function(frame)
            jid = getattr(func, anyio_jobs.JOB_ATTR, None)
            job = self.recorder.jobs.get(jid) if jid is not None else None
            return kind, job.function if job is not None else callable_name(func), ()
        return kind, label, ()

    def _ids(self, futures: Any) -> tuple[int, ...]:
        out = []
        for f in futures:
            tid = self.task_id_of(f)
            if tid is not None:
                out.append(tid)
        return tuple(out)

    # ---- loop hooks ---------------------------------------------------------------------------
    def _on_schedule(self, callback: Any, args: tuple[Any, ...]) -> Any:
        """Every scheduled callback that is not a bare task step passes here: a task's wake-up
        (the awaited future completed: the task is *ready* now) or a plain callback to time."""
        kind = type(callback)
        if kind is _BUILTIN:
            owner = callback.__self__
            if args and isinstance(owner, _Task):  # a C task's wake-up
                proxy = owner.get_coro()
                if type(proxy) is CoroutineProxy and proxy.waiting:
                    proxy.waiting = False
                    self.wakes.extend((proxy.task_id, _now()))
            return callback
        if kind is _METHOD and isinstance(callback.__self__, _Task):
            return callback  # a pure-Python task's step or wake-up
        if self._time_callbacks and self._is_user_callable(callback):
            return TimedCallback(callback, self)
        return callback

    def _schedule_filter(self) -> Callable[[Any, tuple[Any, ...]], Any]:
        """What sees every ``call_soon``: a task's bare step passes straight through, anything
        else goes to :meth:`_on_schedule` (its common cases in C when the speedups are built)."""
        if speedups is not None:
            wake_filter: Callable[[Any, tuple[Any, ...]], Any] = speedups.WakeFilter(
                self._on_schedule, CoroutineProxy, _Task, self.wakes, self._time_callbacks,
                _PY_CALLABLES)
            return wake_filter
        on_schedule = self._on_schedule

        def schedule_filter(callback: Any, args: tuple[Any, ...]) -> Any:
            if args or type(callback) in _PY_CALLABLES:
                return on_schedule(callback, args)
            return callback

        return schedule_filter

    def _hook_call_soon(self, orig: Callable[..., Any]) -> Callable[..., Any]:
        """:meth:`_schedule_filter` as a ``call_soon`` wrapper, for foreign loops."""
        schedule_filter = self._schedule_filter()
        if speedups is not None:  # in C too: every task step passes through here
            hook: Callable[..., Any] = speedups.ScheduleHook(orig, schedule_filter, _PY_CALLABLES)
            return hook

        def call_soon(callback: Any, *args: Any, context: Any = None) -> Any:
            return orig(schedule_filter(callback, args), *args, context=context)

        return call_soon

    def _hook_timer(self, orig: Callable[..., Any], *,
                    absolute: bool = False) -> Callable[..., Any]:
        loop = self.loop
        sleep_dues = self.sleep_dues
        time_callbacks = self._time_callbacks
        instrumented = self.current_task_id

        def schedule(when: float, callback: Any, *args: Any, context: Any = None) -> Any:
            # Only an instrumented task's step pops a due time again: the task that called
            # record()/serve() (a server's main loop) is not one, and would fill the dict.
            if callback is _SLEEP_TIMER and args and instrumented() is not None:
                due = when if absolute else loop.time() + when
                sleep_dues[args[0]] = int(due * 1e9)
            elif (time_callbacks and type(callback) is not TimedCallback
                  and self._is_user_callable(callback)):
                callback = TimedCallback(callback, self)
            return orig(when, callback, *args, context=context)

        return schedule

    def _hook_executor(self, orig: Callable[..., Any]) -> Callable[..., Any]:
        rec = self.recorder
        jobs = self.executor_jobs
        loop = self.loop

        def run_in_executor(executor: Any, func: Any, *args: Any) -> Any:
            task = rec.running_task
            jid = rec.new_job(task, callable_name(func))
            target = executor if executor is not None else _cpython.default_executor(loop)
            if isinstance(target, ProcessPoolExecutor):  # timed in the worker process
                fut = in_process(loop, rec, jid, lambda f: orig(executor, f, *args), func)
            elif target is not None and not isinstance(target, ThreadPoolExecutor):
                fut = orig(executor, func, *args)  # unknown executor: recorded as submitted
            else:
                fut = orig(executor, timed_job(rec, jid, func), *args)
            if task is not None:  # as for sleeps: only an instrumented step pops it again
                jobs[fut] = jid
            return fut

        return run_in_executor

    def _is_user_callable(self, fn: Any) -> bool:
        """A callback of the program's to time. Not a coroutine function: wrapped, it would
        slip past asyncio's debug-mode check that rejects one (instrumentation must not hide
        the program's mistakes)."""
        code = code_of(fn)
        return code is not None and not code.co_flags & _CO_COROUTINE and is_user_code(code)


def _creation_site() -> tuple[str, int]:
    """file:line of the innermost user frame that asked for the task (else the innermost
    frame that is not loopviz's own)."""
    frame: types.FrameType | None = _getframe(2)
    first = None
    while frame is not None:
        code = frame.f_code
        ok = _user_get(id(code))
        if ok is None:
            ok = is_user_code(code)
        if ok:
            return code.co_filename, frame.f_lineno
        if first is None and not is_loopviz_code(code):
            first = frame
        frame = frame.f_back
    return (first.f_code.co_filename, first.f_lineno) if first else ("", 0)
