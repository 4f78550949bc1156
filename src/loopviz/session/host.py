"""One run of a user's program on a loop of loopviz's, start to end, synchronously.

The program's code runs as ``__main__`` (:mod:`loopviz.session.program`); the loops it makes
are the session's (:mod:`loopviz.session.hosting`). A file that only defines ``async def
main()`` and never starts a loop itself gets it run as ``asyncio.run(main())`` would, in a task
named ``main`` (how loopviz has always run such files).

Contract: :meth:`ProgramHost.run` is called on the thread that owns the loop, with the loop not
running; a loop already running on that thread (the desktop app's own) is set aside for the
duration, since at a program's top level no loop runs. Everything the program could change
(``sys`` state, the event loop policy, the loop's methods) is put back when it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sys
import types
from collections.abc import Callable
from typing import Final

from loopviz import _cpython
from loopviz.session.hosting import CLEANUP_S, LoopLender
from loopviz.session.program import (
    Ending,
    Program,
    TargetError,
    exit_status,
    main_environment,
    run_as_main,
)

BAD_INPUT: Final = "bad-input"


class ProgramHost:
    def __init__(self, program: Program, loop: asyncio.AbstractEventLoop, *,
                 on_enter: Callable[[], None], on_leave: Callable[[], None]) -> None:
        self.program = program
        self.lender = LoopLender(loop, on_enter=on_enter, on_leave=on_leave)
        self.value: object = None  # what an ``async def main()`` that loopviz ran returned

    @property
    def loop_runs(self) -> int:
        return self.lender.runs

    def interrupt(self, cleanup_s: float = CLEANUP_S) -> None:
        """Ctrl-C for the program, from any thread (see :meth:`LoopLender.interrupt`)."""
        self.lender.interrupt(cleanup_s)

    def run(self) -> Ending:
        set_aside = _cpython.running_loop_or_none()
        _cpython.set_running_loop(None)
        self.lender.install()
        try:
            with main_environment(self.program) as main:
                try:
                    run_as_main(self.program, main)
                    if self.lender.runs == 0:
                        self._run_async_main(main)
                except TargetError as exc:
                    return Ending(BAD_INPUT, str(exc), 2)
                except BaseException as exc:
                    return exit_status(exc)
                finally:
                    _flush()
                return exit_status(None)
        finally:
            self.lender.uninstall()
            _cpython.set_running_loop(set_aside)

    def _run_async_main(self, main: types.ModuleType) -> None:
        title = self.program.title
        fn = main.__dict__.get("main")
        if fn is None:
            raise TargetError(f"{title}: never started an event loop and defines no "
                              "main() (write 'async def main(): ...' or call asyncio.run)")
        if not inspect.iscoroutinefunction(fn):
            raise TargetError(f"{title}: main is not async (write 'async def main(): ...')")
        try:
            inspect.signature(fn).bind()
        except TypeError:
            raise TargetError(f"{title}: main() must take no required arguments") from None
        with asyncio.Runner() as runner:
            loop = runner.get_loop()
            self.value = loop.run_until_complete(loop.create_task(fn(), name="main"))


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
