"""Executor jobs: what a job is called (:func:`callable_name`), and a job timed where it runs
(:func:`timed_job`: the function a pool, asyncio's executors or anyio's worker threads, is given
is wrapped so that the recorder learns when it started, on which thread, and when it finished;
it calls the function exactly as given and passes through whatever it returns or raises)."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any

from loopviz import _process_job
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


def in_process(loop: Any, recorder: Recorder, job_id: int,
               submit: Callable[[Callable[..., Any]], Any], func: Callable[..., Any]) -> Any:
    """Run ``func`` through ``submit`` (a process pool's ``run_in_executor``) timed in the
    worker (:mod:`loopviz._process_job`); the future returned resolves to ``func``'s own value
    or exception, and cancelling it cancels the job, as ``run_in_executor``'s would."""
    inner = submit(functools.partial(_process_job.run, func))
    outer = loop.create_future()

    def settle(done: Any) -> None:
        if outer.done():
            return
        if done.cancelled():
            outer.cancel()
            return
        exc = done.exception()
        if exc is not None:
            recorder.job_finished(job_id)
            outer.set_exception(exc)
            return
        ran = done.result()
        recorder.job_ran_in_process(job_id, ran.pid, f"{ran.process} (pid {ran.pid})",
                                    ran.start_ns, ran.end_ns)
        outer.set_result(ran.value)

    inner.add_done_callback(settle)
    outer.add_done_callback(lambda f: inner.cancel() if f.cancelled() else None)
    return outer
