"""Run one small program four ways (plain asyncio / loopviz Qt loop × bare / instrumented)
and capture what the program could observe: its log and its outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from loopviz.recording import Recording
from loopviz.session import close_loop, new_loop
from loopviz.trace import Trace

Program = Callable[[list[Any]], Coroutine[Any, Any, Any]]
CONFIGS = [("asyncio", False), ("asyncio", True), ("qt", False), ("qt", True)]
CONFIG_IDS = ["asyncio", "asyncio+lv", "qt", "qt+lv"]


def normalize(value: Any) -> Any:
    """Exceptions compare by type and message (and group structure); the rest as is."""
    if isinstance(value, BaseExceptionGroup):
        return ("group", type(value).__name__, value.message,
                sorted((normalize(e) for e in value.exceptions), key=repr))
    if isinstance(value, BaseException):
        return ("exc", type(value).__name__, str(value))
    if isinstance(value, list | tuple):
        return type(value)(normalize(v) for v in value)
    return value


def run_program(program: Program, loop_kind: str, instrumented: bool,
                setup: Callable[[asyncio.AbstractEventLoop], None] | None = None,
                ) -> tuple[Any, list[Any], Trace | None]:
    loop = new_loop(loop_kind)
    log: list[Any] = []
    recording = None
    try:
        if setup is not None:
            setup(loop)
        if instrumented:
            recording = Recording(loop, probes=False).start()
        try:
            outcome: Any = ("ok", normalize(loop.run_until_complete(program(log))))
        except BaseException as exc:  # the program's own failure is an observable outcome
            if isinstance(exc, KeyboardInterrupt):
                raise
            outcome = ("raised", normalize(exc))
        trace = recording.stop() if recording is not None else None
        if recording is not None:
            assert "call_soon" not in loop.__dict__, "instrumentation left a hook behind"
    finally:
        close_loop(loop)
    return outcome, normalize(log), trace


def run_everywhere(program: Program, setup: Any = None) -> dict[str, tuple[Any, Any, Any]]:
    return {cid: run_program(program, kind, inst, setup)
            for cid, (kind, inst) in zip(CONFIG_IDS, CONFIGS, strict=True)}
