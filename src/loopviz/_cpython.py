"""The private names of CPython, asyncio and the libraries loopviz instruments, in one place.

Why: loopviz draws what asyncio does from the inside (which future a task waits on, which timer
is a sleep, which frame runs a callback), and much of that is only visible through names their
owners do not promise to keep. Everything of that kind is read or patched here and nowhere else
(ruff's private-member rule, SLF001, holds the rest of loopviz to it), each with a version note
(``# 3.11-3.13: ...``: the versions it was checked on, and what differs), and each feature
built on it has a probe test in ``tests/test_cpython.py`` that runs it on the Python at hand.
A new Python that renames one of these then fails a named test ("a TaskGroup wait is
classified with edges to its children") instead of silently drawing less.

Contract: the standard library only, nothing of loopviz's (every layer may import this, see
docs/DESIGN.md); cheap at import; hot paths get plain aliases (``getframe``), never wrappers.
Accessors degrade to "nothing found" (None, empty) when a name is gone, so the program under
the tool never breaks; the probes are what notice.
"""

from __future__ import annotations

import asyncio
import asyncio.events
import asyncio.futures
import asyncio.tasks
import ctypes
import re
import runpy
import sys
import types
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

# ---- frames and threads ------------------------------------------------------------------------
# 3.11-3.13: CPython-only (``sys._getframe`` is documented as an implementation detail). Aliases,
# not wrappers: the task factory reads a frame per task.
getframe: Callable[[int], types.FrameType] = sys._getframe
current_frames: Callable[[], dict[int, types.FrameType]] = sys._current_frames


def raise_in_thread(ident: int, exc_type: type[BaseException] | None) -> int:
    """Raise ``exc_type`` in thread ``ident`` at its next bytecode; None withdraws one not
    raised yet. How many threads were affected (0 or 1).

    3.7-3.13: ``PyThreadState_SetAsyncExc(unsigned long, PyObject *)``, CPython's C API
    (public, but reached through ctypes: there is no Python-level call). 3.13.0: arriving at
    a C call's return, it may skip a handler in the frame it lands in; the frames outside
    still see it (python/cpython#139622)."""
    exc = None if exc_type is None else ctypes.py_object(exc_type)
    return int(ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), exc))


# ---- the running loop ------------------------------------------------------------------------
# 3.7-3.13: in asyncio.__all__ with their underscores; set_running_loop is how a loop that runs
# itself (loopviz's Qt loop, a lender that sets a loop aside) becomes "the running loop".
running_loop_or_none: Callable[[], asyncio.AbstractEventLoop | None] = asyncio._get_running_loop
set_running_loop: Callable[[asyncio.AbstractEventLoop | None], None] = asyncio._set_running_loop

# ---- tasks -----------------------------------------------------------------------------------
_CurrentTask = Callable[[asyncio.AbstractEventLoop], "asyncio.Task[Any] | None"]
try:  # 3.12-3.13: the C function (asyncio.current_task is a Python wrapper that checks loop)
    from _asyncio import current_task as _c_current_task  # type: ignore[attr-defined]
except ImportError:  # 3.11: the dict the C tasks maintain, keyed by loop
    current_task: _CurrentTask = asyncio.tasks._current_tasks.get  # type: ignore[attr-defined]
else:
    current_task = _c_current_task
"""The task in its step on ``loop`` now, or None; any thread may ask (a dict read)."""

TASK_MUST_CANCEL = "_must_cancel"
"""3.11-3.13 (C and Python tasks): True once ``cancel()`` was asked and not yet delivered; a
coroutine that returns meanwhile ends the task cancelled. The C core reads it by this name."""


def must_cancel(task: Any) -> bool:
    return bool(getattr(task, TASK_MUST_CANCEL, False))


def exception_unretrieved(task: Any) -> bool:
    """3.11-3.13 ``Future._log_traceback``: the task's exception has not been retrieved (asyncio
    logs "exception was never retrieved" when such a task is collected)."""
    return bool(getattr(task, "_log_traceback", False))


def done_callbacks(future: Any) -> list[Callable[..., Any]]:
    """The callbacks a future will call when done. 3.11-3.13 ``Future._callbacks``: a list of
    ``(callback, context)``; None once the future is done and they were scheduled."""
    return [cb for cb, _context in getattr(future, "_callbacks", None) or ()]


TASK_DESTROYED_PENDING = "Task was destroyed but it is pending!"
"""3.4-3.13: the message of ``Task.__del__`` (C and Python) to the loop's exception handler."""

CREATE_TASK_CODE = asyncio.BaseEventLoop.create_task.__code__


def create_task_name(frame: types.FrameType) -> str | None:
    """The ``name=`` a ``BaseEventLoop.create_task`` frame was called with (the task is named
    only after the factory returns, and an eager task may end inside it). 3.11-3.13: its
    parameter ``name``."""
    if frame.f_code is not CREATE_TASK_CODE:
        return None
    name = frame.f_locals.get("name")
    return None if name is None else str(name)


# ---- what a task awaits ----------------------------------------------------------------------
def gathered(future: Any) -> list[Any] | None:
    """The children of a ``gather()`` outer future, or None for any other future.
    3.11-3.13: ``tasks._GatheringFuture._children``."""
    if type(future).__name__ != "_GatheringFuture":
        return None
    return list(getattr(future, "_children", ()))


TASKGROUP_WAITS = ("TaskGroup.__aexit__", "TaskGroup._aexit")
"""Where a TaskGroup waits for its children: 3.11-3.13.0 ``__aexit__`` itself; later
releases (3.13.x, 3.14) ``__aexit__`` awaits ``_aexit``, which waits."""
WAIT_FUNCTIONS = ("wait", "_wait")
"""``asyncio.wait`` (3.11-3.13) checks its arguments, then awaits ``tasks._wait(fs, ...)``."""
AS_COMPLETED_WAITS = ("as_completed.<locals>._wait_for_one", "_AsCompletedIterator._wait_for_one")
"""What ``await``-ing one of ``as_completed()``'s results runs: 3.11-3.12 a closure of the
generator; 3.13 a method of ``_AsCompletedIterator``. It waits on an internal Queue."""


def taskgroup_children(frame: types.FrameType) -> list[Any]:
    """The tasks a TaskGroup frame (see TASKGROUP_WAITS) waits for: 3.11-3.13 ``self._tasks``."""
    return list(getattr(frame.f_locals.get("self"), "_tasks", ()))


def waited_futures(frame: types.FrameType) -> list[Any]:
    """What a ``wait``/``_wait`` frame (its ``fs``) or a ``wait_for`` frame (its ``fut``)
    waits for. 3.11-3.13 parameter and local names."""
    local = frame.f_locals
    fs = local.get("fs")
    if fs:
        return list(fs)
    return [local["fut"]] if "fut" in local else []


def as_completed_pending(frame: types.FrameType) -> list[Any]:
    """The futures an ``as_completed`` wait may still get: 3.13 ``_AsCompletedIterator._todo``;
    3.11-3.12 they live in the generator's own frame, out of reach (none)."""
    return list(getattr(frame.f_locals.get("self"), "_todo", ()))


def reader_on_pipe(frame: types.FrameType) -> bool:
    """A ``StreamReader`` method's frame reading a child process's pipe. 3.11-3.13
    ``StreamReader._transport`` (a ``*PipeTransport`` on Unix and Windows)."""
    transport = getattr(frame.f_locals.get("self"), "_transport", None)
    return "Pipe" in type(transport).__name__


SLEEP_TIMER: Callable[..., Any] = asyncio.futures._set_result_unless_cancelled  # type: ignore[attr-defined]
"""The timer callback of ``asyncio.sleep(delay)`` (3.11-3.13):
``loop.call_later(delay, futures._set_result_unless_cancelled, future, result)``; its first
argument is the future the sleeping task waits on."""


def default_executor(loop: Any) -> Executor | None:
    """3.11-3.13 ``BaseEventLoop._default_executor`` (None until first used)."""
    executor: Executor | None = getattr(loop, "_default_executor", None)
    return executor


def executor_threads(executor: Executor) -> list[Any]:
    """3.11-3.13 ``ThreadPoolExecutor._threads`` (a set); other executors: none."""
    return list(getattr(executor, "_threads", ()))


def threadsafe_submission(callback: Any) -> tuple[Any, Any] | None:
    """(concurrent future, coroutine) if ``callback`` is the one ``run_coroutine_threadsafe``
    hands to ``call_soon_threadsafe``; else None. 3.11-3.13: a closure named
    ``run_coroutine_threadsafe.<locals>.callback`` over ``future`` and ``coro``."""
    if getattr(callback, "__qualname__", "") != "run_coroutine_threadsafe.<locals>.callback":
        return None
    cells = {}
    for name, cell in zip(callback.__code__.co_freevars, callback.__closure__ or (),
                          strict=False):
        try:
            cells[name] = cell.cell_contents
        except ValueError:  # an empty cell
            pass
    future = cells.get("future")
    return None if future is None else (future, cells.get("coro"))


# ---- handles and the loop's queues -------------------------------------------------------------
HANDLE_RUN: Callable[[asyncio.Handle], None] = asyncio.events.Handle._run
"""3.4-3.13 ``Handle._run``: how every loop runs a callback or a task step (an alias, for the
Qt loop's batch); its frame is where a stack passes from the loop into the program."""
HANDLE_RUN_CODE = HANDLE_RUN.__code__
HANDLE_RUN_NAME = "_run"  # as a faulthandler dump names HANDLE_RUN_CODE's frames
LOOP_RUNNERS = frozenset({"run_forever", "run_until_complete", "_run_once"})
"""Frames of an asyncio loop's own running (3.11-3.13 ``BaseEventLoop._run_once`` is one
iteration): a stack that reaches them first is the loop waiting, not a callback."""


def handle_callback(handle: asyncio.Handle) -> Any:
    """3.4-3.13 ``Handle._callback`` (None once cancelled)."""
    return getattr(handle, "_callback", None)


def handle_args(handle: asyncio.Handle) -> tuple[Any, ...]:
    """3.4-3.13 ``Handle._args`` (None once cancelled)."""
    return getattr(handle, "_args", None) or ()


def queued_handles(loop: Any) -> list[asyncio.Handle]:
    """What a loop will run: 3.4-3.13 ``BaseEventLoop._ready`` (a deque) and ``_scheduled``
    (a heap of TimerHandles), cancelled handles left out."""
    handles = list(getattr(loop, "_ready", ())) + list(getattr(loop, "_scheduled", ()))
    return [h for h in handles if not h.cancelled()]


def timer_unscheduled(timer: asyncio.TimerHandle) -> None:
    """3.7-3.13 ``TimerHandle._scheduled``: a loop clears it when it takes the timer off its
    heap (``cancel()`` then does not count it as a cancelled timer still in the heap)."""
    timer._scheduled = False  # type: ignore[attr-defined]


def drop_own_frame(handle: asyncio.Handle) -> None:
    """In debug mode a handle keeps the stack that created it (3.4-3.13
    ``Handle._source_traceback``); a wrapper's own frame is dropped from it, as asyncio's own
    call_soon does for its internal ``_call_soon``."""
    tb = getattr(handle, "_source_traceback", None)
    if tb:
        del tb[-1]


def reopen_loop(loop: Any) -> None:
    """A closed asyncio loop usable again, as if new (loopviz lends one loop to every
    ``asyncio.run`` of a program). 3.11-3.13 ``BaseEventLoop`` flags ``_closed``,
    ``_executor_shutdown_called``, ``_asyncgens_shutdown_called`` and ``_stopping``."""
    loop._closed = False
    loop._executor_shutdown_called = False
    loop._asyncgens_shutdown_called = False
    loop._stopping = False


def close_for_reuse(loop: Any) -> None:
    """What ``BaseEventLoop.close()`` does to the program's state (3.11-3.13): closed, queued
    callbacks dropped, the default executor shut down without waiting; the loop itself (its
    selector, its Qt objects) stays usable for :func:`reopen_loop`. Not running: asserted by
    the caller."""
    if loop._closed:
        return
    loop._closed = True
    loop._ready.clear()
    loop._scheduled.clear()
    loop._timer_cancelled_count = 0
    loop._executor_shutdown_called = True
    executor, loop._default_executor = loop._default_executor, None
    if executor is not None:
        executor.shutdown(wait=False)


# ---- warnings: "coroutine ... was never awaited" ---------------------------------------------
# 3.8-3.13: CPython's coroutine finalizer calls ``warnings._warn_unawaited_coroutine(coro)``
# (looked up on the module each time), which issues the RuntimeWarning.
def unawaited_hook() -> Callable[[Any], None] | None:
    hook: Callable[[Any], None] | None = getattr(warnings, "_warn_unawaited_coroutine", None)
    return hook


def set_unawaited_hook(hook: Callable[[Any], None]) -> None:
    warnings._warn_unawaited_coroutine = hook  # type: ignore[attr-defined]


# ---- running a module as __main__ (python -m) --------------------------------------------------
def module_details(name: str, error: type[Exception]) -> tuple[str, Any, types.CodeType]:
    """(name, spec, code) of module ``name`` as ``python -m`` finds it, raising ``error`` with
    ``python -m``'s own one-line message. 3.4-3.13 ``runpy._get_module_details``."""
    details: tuple[str, Any, types.CodeType] = runpy._get_module_details(name, error)  # type: ignore[attr-defined]
    return details


def run_module_as_main(name: str) -> None:
    """``python -m name`` in the current ``__main__`` (argv[0] set as python sets it).
    3.4-3.13 ``runpy._run_module_as_main(name, alter_argv)``."""
    runpy._run_module_as_main(name, alter_argv=True)  # type: ignore[attr-defined]


# ---- faulthandler's dump -----------------------------------------------------------------------
# 3.11-3.13 ``faulthandler.dump_traceback`` output: a header per thread ("Current thread 0x...
# (most recent call first):" or "Thread 0x..."), then one '  File "f", line n in fn' per frame,
# innermost first. Lines of any other form ("  <no Python frame>", "  ...") are skipped.
_THREAD_HEADER = re.compile(r"^(?:Current thread|Thread) 0x([0-9a-f]+)", re.M)
_DUMP_FRAME = re.compile(r'^\s*File "(.+)", line (\d+) in (.+)$', re.M)


def dumped_stack(text: str, ident: int) -> list[tuple[str, int, str]]:
    """Thread ``ident``'s frames in a faulthandler dump as (file, line, function), innermost
    first; empty if the dump does not have that thread."""
    heads = list(_THREAD_HEADER.finditer(text))
    for i, head in enumerate(heads):
        if int(head.group(1), 16) == ident:
            body = text[head.end(): heads[i + 1].start() if i + 1 < len(heads) else len(text)]
            return [(f, int(n), fn.strip()) for f, n, fn in _DUMP_FRAME.findall(body)]
    return []


# ---- qasync ------------------------------------------------------------------------------------
def qasync_qt_objects(loop: Any) -> list[Any]:
    """The Qt objects a ``qasync.QEventLoop`` makes for itself and loopviz's loop, its
    subclass, does not use (its own closing deletes them on the loop's thread). qasync
    0.27-0.28: ``_timer`` (a ``_SimpleTimer``) and the name-mangled ``__call_soon_signaller``.
    Missing ones are None (a Qt object, not imported here: this module imports no Qt)."""
    return [getattr(loop, "_timer", None), getattr(loop, "_QEventLoop__call_soon_signaller", None)]


# ---- anyio -------------------------------------------------------------------------------------
ANYIO_BACKEND = "anyio._backends._asyncio"
"""anyio 4.x: the asyncio backend's module; its class ``AsyncIOBackend`` runs worker-thread
jobs in the classmethod ``run_sync_in_worker_thread`` (anyio.to_thread.run_sync calls it)."""
ANYIO_WORKER_ENTRY = "run_sync_in_worker_thread"


def anyio_backend() -> type | None:
    """anyio's asyncio backend class, if anyio's asyncio backend is imported; else None."""
    backend = getattr(sys.modules.get(ANYIO_BACKEND), "AsyncIOBackend", None)
    return backend if isinstance(backend, type) else None


def anyio_job_function(frame: types.FrameType) -> Any:
    """The function a ``run_sync_in_worker_thread`` frame runs in a worker thread: anyio 4.x
    names that parameter ``func``."""
    return frame.f_locals.get("func")
