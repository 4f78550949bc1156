"""Truthful places, labels and names for what libraries do: tasks a library made, waits inside
library calls, executor jobs, thread and lane names, and never loopviz's own frames."""

from __future__ import annotations

import asyncio
import functools
import os
import sysconfig
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from loopviz.instrument.sites import is_loopviz_file, is_user_file
from loopviz.instrument.tracker import callable_name
from loopviz.session import resolve, run_headless
from loopviz.trace.names import task_lane_name, thread_lane_name
from tests.instrument.test_instrumentation import record


def library_coroutine(module: str, name: str):
    """An ``async def`` whose code is a library's (compiled under a name outside user files)."""
    namespace: dict = {}
    exec(compile(f"async def {name}(event):\n    await event.wait()\n", f"<{module}>", "exec"),
         namespace)
    return namespace[name]


def test_waits_of_library_made_tasks_never_share_a_place():
    serve = library_coroutine("libserver", "serve")
    read = library_coroutine("libclient", "read_reply")

    async def program():
        first, second = asyncio.Event(), asyncio.Event()
        tasks = [asyncio.create_task(serve(first)), asyncio.create_task(read(second))]
        await asyncio.sleep(0.01)
        first.set()
        second.set()
        await asyncio.gather(*tasks)

    _, trace = record(program)
    waits = [w for w in trace.waits if w.label.startswith("Event.wait")]
    assert sorted(w.file for w in waits) == ["<libclient>", "<libserver>"]
    assert sorted(w.stack[0].split(" in ")[1] for w in waits) == ["read_reply", "serve"]


def test_queue_join_is_a_queue_wait_not_the_event_inside_it():
    async def program():
        queue: asyncio.Queue[int] = asyncio.Queue()
        queue.put_nowait(1)

        async def worker():
            await queue.get()
            await asyncio.sleep(0.01)
            queue.task_done()

        task = asyncio.create_task(worker())
        await queue.join()
        await task

    _, trace = record(program)
    assert [(w.kind, w.label) for w in trace.waits if w.label.startswith("Queue.join")] == [
        ("queue", "Queue.join")]


def test_executor_jobs_are_named_after_the_callable_not_its_arguments(tmp_path):
    path = str(tmp_path / "f.txt")

    async def program():
        loop = asyncio.get_running_loop()
        handle = await loop.run_in_executor(None, functools.partial(open, path, "w"))
        handle.close()
        await asyncio.to_thread(os.path.exists, path)

    _, trace = record(program)
    assert [j.function for j in trace.jobs] == ["open", "exists"]
    assert callable_name(functools.partial(open, path)) == "open"


def test_threads_keep_their_own_names():
    def whoami() -> str:
        return threading.current_thread().name

    async def program():
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(1, thread_name_prefix="db") as pool:
            return [await loop.run_in_executor(None, whoami),
                    await loop.run_in_executor(pool, whoami)]

    names, trace = record(program, "qt")
    assert names == ["asyncio_0", "db_0"]  # as under plain asyncio
    lanes = {thread_lane_name(t.name, t.role) for t in trace.threads}
    assert {"UI thread", "asyncio_0", "db_0"} <= lanes


def test_an_unnamed_task_is_named_by_what_it_runs():
    assert task_lane_name("Task-17", "RequestHandler.start") == "Task-17 · RequestHandler.start"
    assert task_lane_name("Task-3", "main.<locals>.fetch") == "Task-3 · fetch"
    assert task_lane_name("fetch-1", "fetch") == "fetch-1"  # a name given is kept


def test_a_task_group_waits_on_its_children():
    async def child(delay: float) -> None:
        await asyncio.sleep(delay)

    async def program():
        async with asyncio.TaskGroup() as group:  # 3.13 awaits in TaskGroup._aexit
            for delay in (0.01, 0.02):
                group.create_task(child(delay))

    _, trace = record(program)
    (wait,) = [w for w in trace.waits if w.label.startswith("TaskGroup")]
    assert wait.kind == "task"
    assert {trace.tasks[i - 1].coro for i in wait.targets} == {
        "test_a_task_group_waits_on_its_children.<locals>.child"}


def test_a_demos_stacks_and_places_have_no_loopviz_frames():
    result = run_headless(resolve("sequential-vs-gather", "fixed", {"fetches": 2,
                                                                    "delay": 0.01}))
    lines = [line for w in result.trace.waits for line in w.stack]
    assert lines and not [line for line in lines if is_loopviz_file(line.split(":")[0])]
    main = result.trace.tasks_named("main")[0]
    assert not is_loopviz_file(main.file)


def test_the_console_script_is_loopvizs_own_never_user_code():
    script = os.path.join(sysconfig.get_paths()["scripts"], "loopviz")
    assert not is_user_file(script)
    assert is_loopviz_file(script) or not os.path.exists(script)


def square(x: int) -> int:
    return x * x


def refuse(x: int) -> int:
    raise ValueError(f"no {x}")


def test_process_pool_jobs_are_timed_in_their_worker_processes():
    async def program():
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(1) as pool:
            value = await loop.run_in_executor(pool, square, 7)
            try:
                await loop.run_in_executor(pool, refuse, 3)
            except ValueError as exc:
                return value, str(exc)

    (value, error), trace = record(program)
    assert (value, error) == (49, "no 3")  # the program sees its own values and exceptions
    done = next(j for j in trace.jobs if j.function == "square")
    worker = next(t for t in trace.threads if t.id == done.thread)
    assert worker.name.endswith(")") and "pid" in worker.name and worker.role == "executor"
    assert done.submitted_ns <= done.start_ns <= done.end_ns
