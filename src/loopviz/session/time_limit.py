"""A time limit that holds, inside the process: what happens after a run's ``timeout``.

A polite cancel is not enough: a task may catch ``CancelledError`` and go on, two tasks awaiting
each other make ``cancel()`` recurse until ``RecursionError``, and code that never yields keeps
the loop from running the cancel at all. So a daemon thread (``loopviz-time-limit``) escalates,
each step only if the previous one did not end the run:

1. at the limit: ``cancel`` (the session's: a program gets what Ctrl-C gives it);
2. ``GIVE_UP_AFTER_S`` later: ``give_up``, if the session has one (it stops waiting);
3. from then on, every ``RAISE_EVERY_S``, while the loop has not run the probe callback posted
   before and the thread is executing the program's Python code: :class:`TimeLimitExceeded` is
   raised in that thread with ``PyThreadState_SetAsyncExc``, which a program cannot replace
   the way it can replace a signal handler.

What no in-process step can end (a C call that holds the GIL, a blocking call that is never
interrupted) is ended by the supervising process (:mod:`loopviz.session.supervisor`).

Where the program was when the limit struck is recorded as ``file:line``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from loopviz import _cpython
from loopviz.instrument.sites import is_user_code, walk
from loopviz.session.supervisor import notify
from loopviz.trace.wording import place

GIVE_UP_AFTER_S = 0.5
CLEANUP_AFTER_LIMIT_S = 0.5
"""A program stopped at its limit gets Ctrl-C; each of its clean-up runs (its ``finally``
blocks, asyncio.run cancelling what is left) may then take this long, not a Ctrl-C's 2 s: the
whole command, start-up and trace included, must end by N + 5 s, when the supervisor kills it
and the trace is lost (a task swallowing every cancel lost it 2 runs in 3 on a loaded machine)."""
RAISE_EVERY_S = 0.5

__all__ = ["CLEANUP_AFTER_LIMIT_S", "TimeLimit", "TimeLimitExceeded", "running_user_line",
           "suspended_at"]


class TimeLimitExceeded(BaseException):
    """Raised by loopviz in code still running past the time limit. A BaseException, so the
    program's ``except Exception`` does not swallow it; a task it escapes ends with it."""


_DISPATCH = _cpython.HANDLE_RUN_CODE  # where the loop hands over to a callback


def running_user_line(ident: int, *, in_loop_only: bool = True) -> str | None:
    """``file:line`` of the program's own code that thread ``ident`` runs right now: its
    innermost user frame, which with ``in_loop_only`` must be inside a callback or task step
    of the loop (a demo's caller only started the loop; an idle loop runs none), or None."""
    frame = _cpython.current_frames().get(ident)
    found = None
    while frame is not None:
        code = frame.f_code
        if code is _DISPATCH:
            break
        if found is None and is_user_code(code):
            found = place(code.co_filename, frame.f_lineno)
        frame = frame.f_back
    return found if frame is not None or not in_loop_only else None


def suspended_at(task: Any) -> str | None:
    """``file:line`` where ``task``'s own code is suspended (following what it awaits into
    other tasks' code is not attempted: the innermost user frame of its chain)."""
    try:
        users, _lib, _first = walk(task.get_coro())
    except Exception:  # a task torn down meanwhile, a foreign coroutine type
        return None
    if not users:
        return None
    return place(users[-1].f_code.co_filename, users[-1].f_lineno)


class TimeLimit:
    """The escalation thread of one session (see the module docstring).

    ``cancel``/``give_up`` are the session's steps 1 and 2, called on this thread (they must be
    thread-safe); ``where`` is filled in at the limit. Invariants: the thread ends at
    :meth:`stop` (called once the run is over); an exception is only ever raised into the loop
    thread while it is stuck in the program's own code (``in_loop_only``: see
    :func:`running_user_line`).
    """

    def __init__(self, loop: Any, loop_ident: int, limit_s: float,
                 cancel: Callable[[], None], give_up: Callable[[], None] | None = None, *,
                 in_loop_only: bool = True, suspended: Callable[[], Any] | None = None) -> None:
        self.loop = loop
        self.loop_ident = loop_ident
        self.limit_s = limit_s
        self._cancel = cancel
        self._give_up = give_up
        self._in_loop_only = in_loop_only
        self._suspended = suspended  # the task whose suspension says where an idle run was
        self.where: str | None = None  # the program's line when the limit struck
        self.raised = 0  # how many times TimeLimitExceeded was raised into the loop thread
        self._stop = threading.Event()
        self._probe_ran = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="loopviz-time-limit",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1.0)
        if self.raised:
            _cpython.raise_in_thread(self.loop_ident, None)  # nothing pending may outlive the run

    def _post(self, callback: Callable[[], None]) -> bool:
        try:
            self.loop.call_soon_threadsafe(callback)
        except RuntimeError:  # the loop is closed: the run is over
            return False
        return True

    def _line(self) -> str | None:
        return running_user_line(self.loop_ident, in_loop_only=self._in_loop_only)

    def _where(self) -> str | None:
        """The program's line at the limit: code running in a callback or step; else, an idle
        loop, where its main task waits (a program's ``asyncio.run(main())`` line says
        nothing); else the program's code outside any loop."""
        line = running_user_line(self.loop_ident, in_loop_only=True)
        if line is None and self._suspended is not None:
            task = self._suspended()
            line = suspended_at(task) if task is not None else None
        return line or self._line()

    def _run(self) -> None:
        if self._stop.wait(self.limit_s):
            return
        self.where = self._where() or self.where  # else: what the cancel found
        if self.where is not None:
            notify(f"where {self.where}")  # for a supervisor that may have to kill us
        self._cancel()
        if self._stop.wait(GIVE_UP_AFTER_S):
            return
        if self._give_up is not None:
            self._give_up()
        while not self._stop.is_set():
            self._probe_ran.clear()
            self._post(self._probe_ran.set)  # a loop that is not running never runs it
            if self._stop.wait(RAISE_EVERY_S):
                return
            if not self._probe_ran.is_set():  # the loop has not run a callback for a while
                line = self._line()
                if line is not None and not self._stop.is_set():
                    self.where = self.where or line
                    self.raised += _cpython.raise_in_thread(self.loop_ident, TimeLimitExceeded)
