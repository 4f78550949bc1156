"""Small programs whose every observable effect goes into ``log`` or the return value."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Any


class Boom(Exception):
    pass


async def _worker(log: list[Any], name: str, turns: int, result: Any = None) -> Any:
    for i in range(turns):
        log.append((name, i))
        await asyncio.sleep(0)
    return result if result is not None else name


async def gather_results(log):
    return await asyncio.gather(_worker(log, "a", 3), _worker(log, "b", 1), _worker(log, "c", 2))


async def gather_raises_first(log):
    async def bad():
        await asyncio.sleep(0)
        raise Boom("bad one")
    return await asyncio.gather(_worker(log, "a", 3), bad())


async def gather_return_exceptions(log):
    async def bad():
        raise Boom("collected")
    return await asyncio.gather(_worker(log, "a", 2), bad(), return_exceptions=True)


async def exception_identity(log):
    err = Boom("same object")

    async def raiser():
        await asyncio.sleep(0)
        raise err
    task = asyncio.create_task(raiser())
    try:
        await task
    except Boom as caught:
        return caught is err and task.exception() is err


async def taskgroup_error(log):
    async def slow():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            log.append("slow cancelled")
            raise

    async def bad():
        await asyncio.sleep(0)
        raise Boom("in group")
    async with asyncio.TaskGroup() as tg:
        tg.create_task(slow())
        tg.create_task(bad())
        tg.create_task(_worker(log, "w", 2))


async def cancel_before_first_step(log):
    task = asyncio.create_task(_worker(log, "never", 3))
    task.cancel("early")
    try:
        await task
    except asyncio.CancelledError as exc:
        return ["cancelled", exc.args, task.cancelled()]


async def cancel_swallowed(log):
    async def stubborn():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            log.append("swallowed")
            return "kept going"
    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    task.cancel()
    return [await task, task.cancelled()]


async def wait_for_timeout(log):
    async def slow():
        try:
            await asyncio.sleep(5)
        finally:
            log.append("slow finally")
    try:
        await asyncio.wait_for(slow(), 0.01)
    except TimeoutError:
        log.append("timeout")
    try:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(5)
    except TimeoutError:
        log.append("timeout ctx")
    inner = asyncio.create_task(_worker(log, "shielded", 2))
    return await asyncio.shield(inner)


async def current_task_identity(log):
    seen = {}

    async def who():
        seen["inner"] = asyncio.current_task()
    task = asyncio.create_task(who())
    await task
    return [seen["inner"] is task, asyncio.current_task() is not task]


VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


async def context_vars(log):
    VAR.set("parent")

    async def child():
        log.append(("child sees", VAR.get()))
        VAR.set("child")
        await asyncio.sleep(0)
        log.append(("child after", VAR.get()))
    await asyncio.create_task(child())
    return VAR.get()


async def sync_primitives(log):
    q: asyncio.Queue[int] = asyncio.Queue(maxsize=2)
    lock = asyncio.Lock()
    sem = asyncio.Semaphore(2)
    ev = asyncio.Event()

    async def producer():
        for i in range(5):
            await q.put(i)
            log.append(("put", i))

    async def consumer():
        for _ in range(5):
            log.append(("got", await q.get()))

    async def locker(n):
        async with lock:
            log.append(("lock", n))
            await asyncio.sleep(0)

    async def limited(n):
        async with sem:
            log.append(("sem in", n))
            await asyncio.sleep(0)
            log.append(("sem out", n))

    async def waiter(n):
        await ev.wait()
        log.append(("event", n))
    waiters = [asyncio.create_task(waiter(n)) for n in range(3)]
    await asyncio.gather(producer(), consumer(), *(locker(n) for n in range(3)),
                         *(limited(n) for n in range(4)))
    ev.set()
    await asyncio.gather(*waiters)


async def async_generators(log):
    async def counter(n):
        try:
            for i in range(n):
                await asyncio.sleep(0)
                yield i
        finally:
            log.append("gen closed")
    got = [i async for i in counter(3)]
    gen = counter(10)
    got.append(await gen.__anext__())
    await gen.aclose()
    return got


async def executors(log):
    loop = asyncio.get_running_loop()
    main_ident = threading.get_ident()
    r1 = await loop.run_in_executor(None, sum, [1, 2, 3])
    r2 = await asyncio.to_thread(lambda: threading.get_ident() != main_ident)

    def fails():
        raise Boom("in a thread")
    try:
        await asyncio.to_thread(fails)
    except Boom as exc:
        log.append(("thread raised", str(exc)))
    return [r1, r2]


async def wait_first_completed(log):
    fast = asyncio.create_task(_worker(log, "fast", 1))
    slow = asyncio.create_task(asyncio.sleep(5))
    done, pending = await asyncio.wait({fast, slow}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    # as_completed iterates a *set* of awaitables (ordered by address): its interleaving is
    # not deterministic even on plain asyncio, so only its results are observed here.
    order = [await f for f in asyncio.as_completed([_worker([], "x", 2), _worker([], "y", 1)])]
    return [fast in done, slow.cancelled(), sorted(order)]


PROGRAMS = [gather_results, gather_raises_first, gather_return_exceptions, exception_identity,
            taskgroup_error, cancel_before_first_step, cancel_swallowed, wait_for_timeout,
            current_task_identity, context_vars, sync_primitives, async_generators, executors,
            wait_first_completed]
