"""The asyncio API on top of the loop: composition, sync primitives, async generators, threads.

Each test runs on plain asyncio and on the loopviz Qt loop and asserts the same results,
exceptions and event sequences on both.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys
import threading
import time
from collections.abc import AsyncIterator

import pytest

from .conftest import LoopKind

Loop = asyncio.AbstractEventLoop


async def _value_after(value: object, delay: float = 0.0) -> object:
    await asyncio.sleep(delay)
    return value


async def _fail_after(exc: BaseException, delay: float = 0.0) -> None:
    await asyncio.sleep(delay)
    raise exc


def test_gather_returns_results_in_argument_order_and_collects_exceptions(loop: Loop) -> None:
    async def main() -> tuple[list[object], list[object]]:
        plain = await asyncio.gather(_value_after("slow", 0.02), _value_after("fast"))
        mixed = await asyncio.gather(
            _value_after(1), _fail_after(ValueError("boom")), return_exceptions=True
        )
        return plain, mixed

    plain, mixed = loop.run_until_complete(main())
    assert plain == ["slow", "fast"]
    assert mixed[0] == 1 and isinstance(mixed[1], ValueError)


def test_cancelling_gather_cancels_its_children(loop: Loop) -> None:
    async def main() -> list[bool]:
        children = [asyncio.ensure_future(_value_after(n, 10)) for n in range(3)]
        gathered = asyncio.gather(*children)
        await asyncio.sleep(0.01)
        gathered.cancel()
        with pytest.raises(asyncio.CancelledError):
            await gathered
        return [child.cancelled() for child in children]

    assert loop.run_until_complete(main()) == [True, True, True]


def test_wait_first_completed_and_wait_for_timeout(loop: Loop) -> None:
    async def main() -> tuple[object, int, bool]:
        fast = asyncio.ensure_future(_value_after("fast", 0.001))
        slow = asyncio.ensure_future(_value_after("slow", 10))
        done, pending = await asyncio.wait({fast, slow}, return_when=asyncio.FIRST_COMPLETED)
        slow.cancel()
        inner = asyncio.ensure_future(_value_after("never", 10))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(inner, 0.01)
        return done.pop().result(), len(pending), inner.cancelled()

    assert loop.run_until_complete(main()) == ("fast", 1, True)


def test_timeout_context_and_shield(loop: Loop) -> None:
    events: list[str] = []

    async def protected() -> str:
        await asyncio.sleep(0.03)
        events.append("protected finished")
        return "kept"

    async def main() -> str:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await asyncio.sleep(10)
        events.append("timed out")
        inner = asyncio.ensure_future(protected())
        outer = asyncio.ensure_future(asyncio.shield(inner))
        await asyncio.sleep(0)
        outer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await outer
        events.append("outer cancelled")
        return await inner

    assert loop.run_until_complete(main()) == "kept"
    assert events == ["timed out", "outer cancelled", "protected finished"]


def test_taskgroup_raises_an_exception_group_and_cancels_siblings(loop: Loop) -> None:
    cancelled: list[str] = []

    async def sibling() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append("sibling")
            raise

    async def main() -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(sibling())
            group.create_task(_fail_after(ValueError("a"), 0.001))
            group.create_task(_fail_after(KeyError("b"), 0.001))

    with pytest.raises(ExceptionGroup) as caught:
        loop.run_until_complete(main())
    assert sorted(type(e).__name__ for e in caught.value.exceptions) == ["KeyError", "ValueError"]
    assert cancelled == ["sibling"]


def test_queue_lock_event_and_semaphore_keep_asyncio_ordering(loop: Loop) -> None:
    events: list[str] = []

    async def producer(queue: asyncio.Queue[int]) -> None:
        for n in range(3):
            await queue.put(n)
            events.append(f"put {n}")
        await queue.put(-1)

    async def consumer(queue: asyncio.Queue[int]) -> None:
        while (n := await queue.get()) >= 0:
            events.append(f"got {n}")

    async def holder(name: str, lock: asyncio.Lock | asyncio.Semaphore) -> None:
        async with lock:
            events.append(f"{name} in")
            await asyncio.sleep(0)
            events.append(f"{name} out")

    async def waiter(name: str, event: asyncio.Event) -> None:
        await event.wait()
        events.append(f"{name} woke")

    async def main() -> None:
        queue: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
        await asyncio.gather(producer(queue), consumer(queue))
        lock = asyncio.Lock()
        await asyncio.gather(*(holder(f"lock-{n}", lock) for n in range(3)))
        semaphore = asyncio.Semaphore(2)
        await asyncio.gather(*(holder(f"sem-{n}", semaphore) for n in range(3)))
        event = asyncio.Event()
        waiters = [asyncio.ensure_future(waiter(f"w{n}", event)) for n in range(3)]
        await asyncio.sleep(0)
        event.set()
        await asyncio.gather(*waiters)

    loop.run_until_complete(main())
    reference = asyncio.new_event_loop()
    expected = events.copy()
    events.clear()
    try:
        reference.run_until_complete(main())
    finally:
        reference.close()
    assert expected == events
    assert events[-3:] == ["w0 woke", "w1 woke", "w2 woke"]
    assert events.index("lock-0 out") < events.index("lock-1 in")


def test_async_generators_close_and_are_finalised_by_shutdown_asyncgens(loop: Loop) -> None:
    events: list[str] = []

    async def numbers(name: str) -> AsyncIterator[int]:
        try:
            for n in range(10):
                yield n
                await asyncio.sleep(0)
        finally:
            events.append(f"{name} finally")

    async def main() -> object:
        closed = numbers("closed")
        assert await closed.__anext__() == 0
        await closed.aclose()
        left_open = numbers("left-open")
        assert await left_open.__anext__() == 0
        return left_open  # suspended: only shutdown_asyncgens() can finalise it

    keep_alive = loop.run_until_complete(main())
    assert events == ["closed finally"]
    loop.run_until_complete(loop.shutdown_asyncgens())
    assert events == ["closed finally", "left-open finally"]
    del keep_alive


def test_context_variables_flow_into_tasks_and_callbacks(loop: Loop) -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    seen: list[str] = []

    async def child() -> None:
        seen.append(var.get())

    async def main() -> None:
        var.set("main")
        await asyncio.ensure_future(child())
        context = contextvars.copy_context()
        context.run(var.set, "explicit")
        done = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(
            lambda: (seen.append(var.get()), done.set_result(None)), context=context
        )
        await done
        seen.append("current" if asyncio.current_task() is not None else "none")

    loop.run_until_complete(main())
    assert seen == ["main", "explicit", "current"]


def test_run_in_executor_and_to_thread_use_the_loops_named_workers(
    loop: Loop, loop_kind: LoopKind
) -> None:
    async def main() -> list[str]:
        name = lambda: threading.current_thread().name  # noqa: E731
        return [
            await asyncio.get_running_loop().run_in_executor(None, name),
            await asyncio.to_thread(name),
        ]

    names = loop.run_until_complete(main())
    assert all(n.startswith(loop_kind.worker_prefix) for n in names), names


def test_set_default_executor_is_honoured(loop: Loop) -> None:
    from concurrent.futures import ThreadPoolExecutor

    executor = ThreadPoolExecutor(1, thread_name_prefix="custom")
    loop.set_default_executor(executor)
    name = loop.run_until_complete(asyncio.to_thread(lambda: threading.current_thread().name))
    assert name.startswith("custom")
    loop.run_until_complete(loop.shutdown_default_executor())
    with pytest.raises(RuntimeError):
        loop.run_in_executor(None, lambda: None)


def test_debug_mode_reports_slow_callbacks(loop: Loop, caplog: pytest.LogCaptureFixture) -> None:
    loop.set_debug(True)
    loop.slow_callback_duration = 0.01  # type: ignore[attr-defined]
    loop.call_soon(time.sleep, 0.03)
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        loop.run_until_complete(asyncio.sleep(0))
    loop.set_debug(False)
    assert any("took" in record.getMessage() for record in caplog.records)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in 3.12")
def test_eager_task_factory_starts_tasks_synchronously(loop: Loop) -> None:
    events: list[str] = []

    async def child() -> str:
        events.append("child started")
        await asyncio.sleep(0)
        events.append("child resumed")
        return "done"

    async def main() -> str:
        task = asyncio.get_running_loop().create_task(child(), name="eager")
        events.append("after create_task")
        return await task

    loop.set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined]
    assert loop.run_until_complete(main()) == "done"
    assert events == ["child started", "after create_task", "child resumed"]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="asyncio.run(loop_factory=) is 3.12+")
def test_asyncio_run_accepts_the_loop_as_loop_factory(loop_kind: LoopKind) -> None:
    async def main() -> str:
        await asyncio.sleep(0.001)
        return type(asyncio.get_running_loop()).__name__

    name = asyncio.run(main(), loop_factory=loop_kind.make)  # type: ignore[call-arg]
    assert (name == "QtEventLoop") == (loop_kind.name == "qt")
