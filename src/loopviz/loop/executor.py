"""The loopviz loop's default executor: named worker threads, and a shutdown that cannot hang.

Why a module of its own: asyncio's default executor names its threads ``asyncio_N`` and its
``shutdown_default_executor()`` joins them without a bound (3.11) or for up to 300 s under
``asyncio.run`` (3.12+). loopviz shows executor jobs on per-thread lanes, so the workers carry a
recognisable name (asyncio's own, ``asyncio_N``: a program sees the thread names it sees under
``python``), and a demo that leaves a job stuck (``time.sleep`` in a cancelled
``to_thread``) must not freeze the app when its loop is torn down.

Contract:
- :func:`new_default_executor` makes the pool lazily asked for by ``run_in_executor(None, ...)``:
  a :class:`~concurrent.futures.ThreadPoolExecutor` with ``thread_name_prefix="asyncio"``
  and asyncio's default size, ``min(32, cpu + 4)``.
- :func:`shutdown_nowait` never blocks: queued jobs are cancelled, running ones are left to end
  on their own.
- :func:`join_workers` waits, without blocking the loop, at most ``timeout`` seconds for the
  workers to end and says whether they all did.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, TypeVar

from loopviz import _cpython

__all__ = [
    "DEFAULT_JOIN_TIMEOUT",
    "WORKER_THREAD_PREFIX",
    "DefaultExecutorMixin",
    "default_max_workers",
    "join_workers",
    "new_default_executor",
    "shutdown_nowait",
]

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

WORKER_THREAD_PREFIX = "asyncio"
"""Name prefix of the default executor's threads (``asyncio_0``, ``asyncio_1``...), as asyncio's
own default executor names them."""

DEFAULT_JOIN_TIMEOUT = 1.0
"""Longest wait, in seconds, for worker threads in ``shutdown_default_executor()``.

Long enough for jobs that are finishing to finish; short enough that a stuck job costs the
user one second at exit rather than a hung window.
"""


def default_max_workers() -> int:
    """asyncio's (and ThreadPoolExecutor's) default pool size: ``min(32, cpu_count + 4)``."""
    return min(32, (os.cpu_count() or 1) + 4)


def new_default_executor() -> ThreadPoolExecutor:
    """A fresh default executor whose threads are named ``asyncio_N``, as asyncio's are."""
    return ThreadPoolExecutor(
        max_workers=default_max_workers(), thread_name_prefix=WORKER_THREAD_PREFIX
    )


def shutdown_nowait(executor: Executor) -> None:
    """Stop ``executor`` accepting work and drop its queued jobs, without waiting for any job.

    Jobs already running keep their thread until they return: Python cannot interrupt a thread.
    """
    if isinstance(executor, ThreadPoolExecutor):
        executor.shutdown(wait=False, cancel_futures=True)
    else:
        executor.shutdown(wait=False)


def _set_result_unless_done(future: asyncio.Future[bool], value: bool) -> None:
    if not future.done():
        future.set_result(value)


async def join_workers(executor: Executor, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for ``executor``'s worker threads to end.

    The joining happens on a short-lived daemon thread, so the loop keeps running (and the UI
    keeps painting) meanwhile. Returns True when every worker has ended, False when some are
    still busy after ``timeout`` (they are left running: nothing can stop them). Call
    :func:`shutdown_nowait` first, or idle workers never end.
    """
    threads = _cpython.executor_threads(executor)
    if not threads:
        return True
    loop = asyncio.get_running_loop()
    done: asyncio.Future[bool] = loop.create_future()

    def join() -> None:
        deadline = time.monotonic() + max(0.0, timeout)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        all_ended = not any(thread.is_alive() for thread in threads)
        if sys.is_finalizing() or loop.is_closed():
            return  # the process is exiting: Qt's objects may already be gone, touch nothing
        try:
            loop.call_soon_threadsafe(_set_result_unless_done, done, all_ended)
        except RuntimeError:
            pass  # the loop was closed while we waited: nobody is listening any more

    threading.Thread(target=join, name="loopviz-executor-join", daemon=True).start()
    return await done


class DefaultExecutorMixin:
    """asyncio's default-executor methods, with the pool and the shutdown above.

    Mixed into an :class:`asyncio.BaseEventLoop` subclass ahead of it (and ahead of qasync, whose
    own default executor is a pool of QThreads that ``close()`` joins without a bound). Keeps
    BaseEventLoop's attribute names (``_default_executor``, ``_executor_shutdown_called``) so
    ``set_default_executor`` and tools that look at them keep working.
    """

    executor_join_timeout: float = DEFAULT_JOIN_TIMEOUT
    _default_executor: Executor | None
    _executor_shutdown_called: bool
    _debug: bool
    # BaseEventLoop's own checks, which its run_in_executor makes (3.11-3.13).
    _check_closed: Callable[[], None]
    _check_callback: Callable[[Callable[..., Any], str], None]
    _check_default_executor: Callable[[], None]

    def run_in_executor(
        self, executor: Executor | None, func: Callable[..., _T], *args: Any
    ) -> asyncio.Future[_T]:
        """asyncio's run_in_executor; the default pool (made on first use) is loopviz's."""
        self._check_closed()
        if self._debug:
            self._check_callback(func, "run_in_executor")
        if executor is None:
            self._check_default_executor()
            executor = self._default_executor
            if executor is None:
                executor = self._default_executor = new_default_executor()
        loop: Any = self  # a mixin: the loop it is mixed into
        return asyncio.wrap_future(executor.submit(func, *args), loop=loop)

    async def shutdown_default_executor(self, timeout: float | None = None) -> None:
        """Shut the default executor down, waiting at most ``executor_join_timeout`` seconds
        (or ``timeout`` if shorter) for running jobs; a stuck job is logged and left behind.
        A coroutine even when there is nothing to shut down, as asyncio's is: a program's
        leftover tasks get exactly the loop turns they get under asyncio during teardown."""
        self._executor_shutdown_called = True
        executor = self._default_executor
        if executor is None:
            return
        await self._shutdown_executor(executor, timeout)

    async def _shutdown_executor(self, executor: Executor, timeout: float | None) -> None:
        bound = self.executor_join_timeout
        if timeout is not None:
            bound = min(bound, timeout)
        shutdown_nowait(executor)
        if not await join_workers(executor, bound):
            logger.warning("default executor: a job still runs after %.1f s; not waiting", bound)

    def _drop_default_executor(self) -> None:
        """For ``close()``: shut the default executor down without waiting, and forget it."""
        executor, self._default_executor = self._default_executor, None
        if executor is not None:
            shutdown_nowait(executor)
