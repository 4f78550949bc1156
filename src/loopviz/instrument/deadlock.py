"""Deadlocks of the UI thread with itself, and nested ``run_until_complete``/``asyncio.run``.

A stall observer of the :class:`Watchdog`: while the UI thread is stuck, it looks at what the
thread waits in and asks whether only the UI thread could complete it:

- ``concurrent.futures.Future.result()`` on a future made by ``run_coroutine_threadsafe`` for
  *this* loop (a hook on the loop's ``call_soon_threadsafe`` remembers those futures and their
  coroutines): the coroutine can only run on the thread that is waiting for it;
- ``threading.Event/Condition/Semaphore/Barrier`` waits, or a held lock in the blocked frame,
  when a pending task or callback of this loop references that object and no other thread does.

Found: a ``deadlock`` diagnostic with both ends (the blocking line, the work it waits for), and
the stall is claimed so it is not also reported as a plain block. The demo's timeout recovers.

Calling ``loop.run_until_complete`` or ``asyncio.run`` while the loop runs raises at once; the
hooks record a ``nested-run`` diagnostic with the calling line first. Everything hooked (loop
methods, ``asyncio.run``) is put back by ``uninstall``.
"""

from __future__ import annotations

import asyncio
import asyncio.runners
import threading
import time
import types
import weakref
from typing import Any

from loopviz import _cpython
from loopviz.instrument import sites
from loopviz.instrument.jobs import callable_name
from loopviz.instrument.overrides import hook_rare
from loopviz.instrument.plugin import RecordingView
from loopviz.instrument.report import callee_at, caller_site, emit
from loopviz.instrument.watchdog import Stall, Watchdog
from loopviz.trace.records import Block, Diagnostic
from loopviz.trace.wording import place

_now = time.monotonic_ns
_WAITS = {"Event.wait", "Condition.wait", "Condition.wait_for", "Semaphore.acquire",
          "BoundedSemaphore.acquire", "Barrier.wait"}
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))
_LOOK_EVERY_NS = 20_000_000


def _refers(values: Any, obj: object) -> bool:
    return any(v is obj for v in values)


def _closure_values(fn: Any) -> list[Any]:
    out = []
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            out.append(cell.cell_contents)
        except ValueError:
            pass
    return out


def _frame_refers(frame: Any, obj: object) -> bool:
    if _refers(frame.f_locals.values(), obj):
        return True
    glob = frame.f_globals
    return any(glob.get(name) is obj for name in frame.f_code.co_names)


class DeadlockDetector:
    """An Instrument observing a :class:`Watchdog` (install it after the watchdog)."""

    def __init__(self, watchdog: Watchdog) -> None:
        self.watchdog = watchdog
        self._loop: Any = None
        self._recorder: Any = None
        self._sent: weakref.WeakKeyDictionary[Any, tuple[str, str, int]] = (
            weakref.WeakKeyDictionary())
        self._sent_lock = threading.Lock()
        self._undo: list[Any] = []
        self._orig_run: Any = None
        self._done: set[int] = set()  # stalls already explained
        self._looked: dict[int, int] = {}
        self._nested_sites: set[tuple[str, int]] = set()

    # ---- lifecycle ------------------------------------------------------------------------------
    def install(self, recording: RecordingView) -> None:
        if self._loop is not None:
            return
        loop: Any = recording.loop
        self._loop = loop
        self._recorder = recording.recorder
        # On the loop's class, not the loop: see overrides.hook_rare.
        self._undo = [
            hook_rare(loop, "call_soon_threadsafe", self._hook_threadsafe),
            hook_rare(loop, "run_until_complete", self._hook_run_until_complete)]
        self._orig_run = asyncio.runners.run
        asyncio.run = asyncio.runners.run = self._hook_asyncio_run(self._orig_run)
        if self not in self.watchdog.observers:
            self.watchdog.observers.append(self)

    def uninstall(self) -> None:
        if self._loop is None:
            return
        if self in self.watchdog.observers:
            self.watchdog.observers.remove(self)
        for undo in reversed(self._undo):
            undo()
        self._undo = []
        if asyncio.runners.run is not self._orig_run:
            asyncio.run = asyncio.runners.run = self._orig_run
        self._loop = self._recorder = None
        self._done.clear()
        self._looked.clear()

    # ---- hooks ----------------------------------------------------------------------------------
    def _hook_threadsafe(self, orig: Any) -> Any:
        def call_soon_threadsafe(callback: Any, *args: Any, context: Any = None) -> Any:
            sent = _cpython.threadsafe_submission(callback)
            if sent is not None:
                fut, coro = sent
                file, line = caller_site(_cpython.getframe(1))
                with self._sent_lock:
                    self._sent[fut] = (getattr(coro, "__qualname__", repr(coro)), file, line)
            return orig(callback, *args, context=context)

        return call_soon_threadsafe

    def _hook_run_until_complete(self, orig: Any) -> Any:
        def run_until_complete(future: Any) -> Any:
            loop = self._loop
            if loop is not None and loop.is_running():
                self._nested("loop.run_until_complete", future, _cpython.getframe(1))
            return orig(future)

        return run_until_complete

    def _hook_asyncio_run(self, orig: Any) -> Any:
        def run(main: Any, **kwargs: Any) -> Any:
            if self._loop is not None and _cpython.running_loop_or_none() is self._loop:
                self._nested("asyncio.run", main, _cpython.getframe(1))
            return orig(main, **kwargs)

        run.__doc__ = orig.__doc__
        return run

    def _nested(self, api: str, work: Any, frame: Any) -> None:
        file, line = caller_site(frame)
        if (file, line) in self._nested_sites or self._recorder is None:
            return
        self._nested_sites.add((file, line))
        rec = self._recorder
        what = getattr(work, "__qualname__", None) or type(work).__name__
        emit(rec, Diagnostic(
            rec.now(), "nested-run",
            f"{api}({what}) called at {place(file, line)} while this event loop is already "
            f"running: it raises RuntimeError and {what} does not run; 'await' it instead",
            rec.running_task, file, line))

    # ---- watchdog hooks (watchdog thread) -------------------------------------------------------
    def stall_tick(self, watchdog: Watchdog, stall: Stall, frame: Any) -> None:
        start = stall.start_ns
        now = _now()
        if start in self._done or now - self._looked.get(start, 0) < _LOOK_EVERY_NS:
            return
        self._looked[start] = now
        found = self.analyse(frame)
        if found is None:
            return
        blocking, work = found
        self._done.add(start)
        watchdog.claim(start, "deadlock")
        file, line = caller_site(blocking)
        call = callee_at(file, line) or blocking.f_code.co_qualname
        rec = self._recorder
        emit(rec, Diagnostic(
            rec.now(), "deadlock",
            f"the UI thread waits in {call} at {place(file, line)} for {work}, which "
            f"only the UI thread can run; nothing moves until that wait times out "
            f"('await' instead of blocking)", rec.running_task, file, line))

    def stall_ended(self, watchdog: Watchdog, start_ns: int, block: Block) -> None:
        self._done.discard(start_ns)
        self._looked.pop(start_ns, None)

    # ---- analysis -------------------------------------------------------------------------------
    def analyse(self, frame: Any) -> tuple[Any, str] | None:
        """(the frame that blocks, a description of the work it waits for) or None."""
        f = frame
        while f is not None and not sites.is_user_code(f.f_code):
            code = f.f_code
            obj = f.f_locals.get("self") if code.co_qualname in _WAITS or \
                code.co_qualname == "Future.result" else None
            if code.co_qualname == "Future.result" and obj is not None:
                with self._sent_lock:
                    info = self._sent.get(obj)
                if info is not None and not obj.done():
                    name, file, line = info
                    return f, (f"coroutine {name}() sent to this same loop with "
                               f"run_coroutine_threadsafe at {place(file, line)}")
            elif obj is not None:
                work = self._pending_work_on(obj, frame)
                if work is not None:
                    return f, work
            f = f.f_back
        if f is not None and f is frame:  # blocked in C right in user code: a lock?
            for value in list(f.f_locals.values()):
                if isinstance(value, _LOCK_TYPES) and getattr(value, "locked", lambda: True)():
                    work = self._pending_work_on(value, frame)
                    if work is not None:
                        return f, work
        return None

    def _pending_work_on(self, obj: object, ui_frame: Any) -> str | None:
        """A task or callback of this loop that references ``obj``, if no other thread does."""
        me, ui = threading.get_ident(), self.watchdog.ui_ident
        for ident, top in _cpython.current_frames().items():
            if ident in (me, ui):
                continue
            f: types.FrameType | None = top
            while f is not None:
                if _refers(f.f_locals.values(), obj):
                    return None  # another thread may well set it: a block, not a deadlock
                f = f.f_back
        loop = self._loop
        try:
            tasks = list(asyncio.all_tasks(loop))
        except RuntimeError:
            tasks = []
        for task in tasks:
            coro = task.get_coro()
            if coro is None or getattr(coro, "cr_running", False):
                continue
            for fr in sites.frames_of(coro):
                if _frame_refers(fr, obj):
                    file, line = fr.f_code.co_filename, fr.f_lineno
                    return f"task {task.get_name()!r} ({fr.f_code.co_qualname} at " \
                           f"{place(file, line)})"
        for handle in _cpython.queued_handles(loop):
            cb = _cpython.handle_callback(handle)
            if cb is None:
                continue
            if getattr(cb, "__self__", None) is obj or _refers(_cpython.handle_args(handle), obj) \
                    or _refers(_closure_values(cb), obj):
                return f"callback {callable_name(cb)} scheduled on this loop"
        return None
