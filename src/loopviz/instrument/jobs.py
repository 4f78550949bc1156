"""Executor jobs: what a job is called (:func:`callable_name`), and a job timed where it runs
(:func:`timed_job`: the function a pool, asyncio's executors or anyio's worker threads, is given
is wrapped so that the recorder learns when it started, on which thread, and when it finished;
it calls the function exactly as given and passes through whatever it returns or raises)."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any

from loopviz.trace.recorder import Recorder


def timed_job(recorder: Recorder, job_id: int, func: Callable[..., Any]) -> Callable[..., Any]:
    def job(*args: Any) -> Any:
        recorder.job_started(job_id)
        try:
            return func(*args)
        finally:
            recorder.job_finished(job_id)

    return job


def callable_name(fn: Any) -> str:
    """A readable name for a callable: unwraps partials, and ``to_thread``'s
    ``partial(ctx.run, func, ...)``, so ``partial(open, path)`` is ``open``."""
    while isinstance(fn, functools.partial):
        inner = fn.func
        if isinstance(getattr(inner, "__self__", None), contextvars.Context) and fn.args:
            fn = fn.args[0]  # partial(ctx.run, func, ...)
        else:
            fn = inner
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
