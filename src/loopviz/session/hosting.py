"""A program's event loops are loopviz's: ``asyncio.run``, ``asyncio.Runner``, ``anyio.run`` and
``asyncio.new_event_loop()`` made by the program get the session's (instrumented) loop.

Why a policy and not patched functions: every one of those entry points asks
``get_event_loop_policy().new_event_loop()`` for its loop at call time, so one lending policy
covers them all, including references a library took before the program started
(``from asyncio import Runner``). The program then drives the loop with asyncio's own code
(``Runner.run``, ``run_until_complete``, ``run_forever``, ``close``): cancellation of leftovers,
async generator and executor shutdown, exceptions and ``SystemExit`` behave as under ``python``.

Contract:
- While installed, ``new_event_loop()`` on the installing thread returns the session's loop,
  re-opened (fresh for the program: not closed, no executor shut down, and the debug flag,
  exception handler and task factory the program may have set put back to loopviz's), whenever
  it is not running. Anywhere else (another
  thread, or a second loop asked for from inside a running one) it is asyncio's own loop,
  which runs unrecorded.
- ``close()`` by the program closes the loop *for the program*: pending callbacks are dropped
  and the default executor is shut down without waiting, as asyncio's ``close`` does, and
  ``is_closed()`` is true, but loopviz keeps the loop and its instrumentation for the next run.
- Every ``run_forever`` (so every ``run_until_complete``) calls ``on_enter`` before and
  ``on_leave`` after it, on the loop's thread.
- :meth:`LoopLender.interrupt` (any thread) acts as Ctrl-C: a running loop raises
  ``KeyboardInterrupt`` out of ``run_forever``; the program's own clean-up runs (each later run
  bounded by ``CLEANUP_S``); no new loop is lent afterwards (``new_event_loop`` raises
  ``KeyboardInterrupt``).
- :meth:`LoopLender.uninstall` restores the previous policy and the loop's methods and re-opens
  the loop for its owner.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from loopviz import _cpython
from loopviz.instrument.overrides import hook_rare

CLEANUP_S = 2.0
"""After an interrupt, how long each of the program's clean-up runs may take before it too is
interrupted (a ``finally`` that awaits forever must not keep the session alive)."""


def _interrupt() -> None:
    raise KeyboardInterrupt


class _LendingPolicy(asyncio.DefaultEventLoopPolicy):
    """asyncio's default policy whose ``new_event_loop`` asks the lender first."""

    def __init__(self, lender: LoopLender) -> None:
        super().__init__()
        self._lender = lender

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = self._lender.lend()
        return loop if loop is not None else super().new_event_loop()


class LoopLender:
    """Lends one loop to a program for as long as it is installed (see the module docstring)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, on_enter: Callable[[], None],
                 on_leave: Callable[[], None]) -> None:
        self.loop = loop
        self.on_enter = on_enter
        self.on_leave = on_leave
        self.runs = 0  # how many times the program ran the loop
        self.lent = 0  # how many times the program was given the loop
        self.interrupted = False
        self.cleanup_s = CLEANUP_S  # each clean-up run's bound once interrupted
        self._thread = 0
        self._saved_policy: Any = None
        self._undo: list[Callable[[], None]] = []
        self._running = False
        self._cleanup_timer: Any = None
        self._debug = False
        self._factory: Any = None
        self._handler: Any = None

    # ---- install / uninstall --------------------------------------------------------------
    def install(self) -> None:
        loop = self.loop
        self._thread = threading.get_ident()
        self._debug = loop.get_debug()
        self._factory = loop.get_task_factory()
        self._handler = loop.get_exception_handler()  # loopviz's own (lost work) stays
        # Called a few times a run: hooked on the loop's class, for this loop alone (an
        # instance attribute would cost every step: see instrument/overrides.py).
        self._undo = [hook_rare(loop, "run_forever", self._hook_run_forever),
                      hook_rare(loop, "close", lambda orig: self._close)]
        self._saved_policy = asyncio.get_event_loop_policy()
        asyncio.set_event_loop_policy(_LendingPolicy(self))

    def uninstall(self) -> None:
        asyncio.set_event_loop_policy(self._saved_policy)
        for undo in reversed(self._undo):
            undo()
        self._undo = []
        self._reopen()

    # ---- lending ----------------------------------------------------------------------------
    def lend(self) -> asyncio.AbstractEventLoop | None:
        """The loop for the program, or None (asyncio makes its own) when it cannot be."""
        if threading.get_ident() != self._thread or self._running:
            return None
        if self.interrupted:
            raise KeyboardInterrupt  # stopped: the program starts no new run
        if not self.loop.is_closed():
            self._close()  # lent before and never closed: a new loop starts empty
        self._reopen()
        self.lent += 1
        return self.loop

    def _reopen(self) -> None:
        loop = self.loop
        _cpython.reopen_loop(loop)
        loop.set_debug(self._debug)
        loop.set_exception_handler(self._handler)
        loop.set_task_factory(self._factory)

    def _close(self) -> None:
        """asyncio's ``close`` for the program; the loop itself stays usable for loopviz."""
        if self.loop.is_running():
            raise RuntimeError("Cannot close a running event loop")
        _cpython.close_for_reuse(self.loop)

    # ---- running ------------------------------------------------------------------------------
    def _hook_run_forever(self, orig: Callable[[], None]) -> Callable[[], None]:
        def run_forever() -> None:
            nested = self._running
            if not nested:
                self._enter()
            try:
                orig()
            finally:
                if not nested:
                    self._leave()

        return run_forever

    def _enter(self) -> None:
        self._running = True
        self.runs += 1
        if self.interrupted and not self.loop.is_closed():
            self._cleanup_timer = self.loop.call_later(self.cleanup_s, _interrupt)
        self.on_enter()

    def _leave(self) -> None:
        self._running = False
        if self._cleanup_timer is not None:
            self._cleanup_timer.cancel()
            self._cleanup_timer = None
        self.on_leave()

    def interrupt(self, cleanup_s: float = CLEANUP_S) -> None:
        """Ctrl-C for the program (any thread; idempotent); each of its clean-up runs from then
        on may take ``cleanup_s``."""
        first = not self.interrupted
        self.cleanup_s = min(self.cleanup_s, cleanup_s)
        self.interrupted = True
        if not first or not self._running:
            return  # between runs: the next lend raises; a clean-up run has its own bound
        try:
            self.loop.call_soon_threadsafe(_interrupt)
        except RuntimeError:  # closed meanwhile: nothing runs, nothing to interrupt
            pass
