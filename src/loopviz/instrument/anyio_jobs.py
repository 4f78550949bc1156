"""anyio's worker threads as executor jobs: ``anyio.to_thread.run_sync`` (and everything built
on it: anyio's file and DNS helpers, httpx's and Starlette's sync bridges) runs functions in
anyio's own threads, not through ``loop.run_in_executor``, so the tracker's executor hook never
sees them.

How: while a tracker is installed and anyio's asyncio backend is imported, the backend's
``run_sync_in_worker_thread`` is wrapped so that the function it hands to the worker is timed
(submitted, started on which thread, finished) as a :class:`~loopviz.trace.records.Job` of the
task that awaits it. The wrapper adds one coroutine frame of loopviz's own, which stacks skip.
:func:`hook` is idempotent and cheap (a ``sys.modules`` look-up), so it is called whenever a
program's loop starts running (anyio is usually imported by then); :func:`unhook` restores the
backend exactly. Jobs go to the tracker that hooked, only for calls on its loop's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from loopviz import _cpython
from loopviz.instrument.jobs import timed_job
from loopviz.trace.recorder import Recorder


class _Tracker(Protocol):
    """What of the tracker the wrapper needs (this module is below tracker.py)."""

    recorder: Recorder
    loop_ident: int | None

JOB_ATTR = "_loopviz_job"  # on the wrapped function: the job's id (the wait's label reads it)

_lock = threading.Lock()
_hooked: dict[str, Any] = {}  # "original" → the backend's own classmethod; "tracker" → ours


def hook(tracker: _Tracker, name_of: Callable[[Any], str]) -> None:
    """Wrap anyio's worker-thread entry point for ``tracker`` (if anyio is loaded); jobs are
    named ``name_of(func)``."""
    backend = _cpython.anyio_backend()
    if backend is None:
        return
    with _lock:
        if _hooked.get("tracker") is tracker:
            return
        if "original" not in _hooked:
            original = backend.__dict__.get(_cpython.ANYIO_WORKER_ENTRY)
            if not isinstance(original, classmethod):
                return  # an anyio we do not know: leave it alone
            _hooked["original"] = original
            _hooked["backend"] = backend
            setattr(backend, _cpython.ANYIO_WORKER_ENTRY, classmethod(_wrap(original.__func__)))
        _hooked["tracker"] = tracker
        _hooked["name_of"] = name_of


def unhook(tracker: _Tracker) -> None:
    with _lock:
        if _hooked.get("tracker") is not tracker:
            return
        setattr(_hooked["backend"], _cpython.ANYIO_WORKER_ENTRY, _hooked.pop("original"))
        _hooked.pop("backend")
        _hooked.pop("tracker")
        _hooked.pop("name_of")


def _wrap(original: Any) -> Any:
    async def run_sync_in_worker_thread(cls: Any, func: Any, args: Any, *rest: Any,
                                        **kw: Any) -> Any:
        tracker = _hooked.get("tracker")
        if tracker is None or threading.get_ident() != tracker.loop_ident:
            return await original(cls, func, args, *rest, **kw)
        rec = tracker.recorder
        jid = rec.new_job(rec.running_task, _hooked["name_of"](func))

        job = timed_job(rec, jid, func)
        setattr(job, JOB_ATTR, jid)
        return await original(cls, job, args, *rest, **kw)

    return run_sync_in_worker_thread
