"""Probes of the private names loopviz reads (loopviz/_cpython.py), run on the Python at hand.

Each test runs the real thing the name belongs to (a TaskGroup waiting, a sleep's timer, a
debug-mode handle) and checks that the name still says what loopviz takes it to say. When a
new Python (or anyio) moves one, a test named after the feature fails here, instead of the
timeline silently drawing less. The recordings at the end check the features built on them
end to end: what a wait on a TaskGroup, gather, wait, wait_for or as_completed is linked to.
"""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import subprocess
import sys
import threading
import time
import types
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest

import loopviz
from loopviz import _cpython
from loopviz.session import close_loop, new_loop
from loopviz.trace import Trace


# ---- frames and threads ------------------------------------------------------------------------
def test_getframe_and_current_frames_see_this_very_frame():
    here = _cpython.getframe(0)
    assert here.f_code is test_getframe_and_current_frames_see_this_very_frame.__code__
    assert _cpython.current_frames()[threading.get_ident()].f_code is here.f_code


def test_an_exception_raised_in_another_thread_ends_the_code_it_runs():
    """What the time limit relies on: the exception leaves the busy code into its caller (a
    task's step, which then ends with it). Caught in the caller, not around the busy loop
    itself: on 3.13.0 a handler in the very frame raised into can be skipped when the
    exception arrives at a C call's return (python/cpython#139622)."""
    got: list[BaseException] = []
    started = threading.Event()

    def busy() -> None:
        deadline = time.monotonic() + 5
        started.set()
        while time.monotonic() < deadline:
            pass

    def spin() -> None:
        try:
            busy()
        except TimeoutError as exc:
            got.append(exc)

    thread = threading.Thread(target=spin)
    thread.start()
    started.wait()
    time.sleep(0.01)  # inside the busy loop by now
    assert _cpython.raise_in_thread(thread.ident or 0, TimeoutError) == 1
    thread.join(5)
    assert [type(e) for e in got] == [TimeoutError]


# ---- the running loop and tasks ------------------------------------------------------------------
def test_the_running_loop_can_be_read_and_set_aside():
    async def main() -> None:
        loop = asyncio.get_running_loop()
        assert _cpython.running_loop_or_none() is loop
        _cpython.set_running_loop(None)
        try:
            assert _cpython.running_loop_or_none() is None
        finally:
            _cpython.set_running_loop(loop)

    asyncio.run(main())
    assert _cpython.running_loop_or_none() is None


def test_current_task_answers_for_a_loop_from_inside_its_step():
    async def main() -> None:
        assert _cpython.current_task(asyncio.get_running_loop()) is asyncio.current_task()

    asyncio.run(main())


@pytest.mark.parametrize("task_class", [asyncio.tasks._PyTask, asyncio.Task],
                         ids=["python-task", "c-task"])
def test_a_cancel_not_yet_delivered_is_pending_on_the_task(task_class):
    seen: list[bool] = []

    async def cancels_itself_then_returns() -> None:
        task = asyncio.current_task()
        task.cancel()
        seen.append(_cpython.must_cancel(task))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = task_class(cancels_itself_then_returns(), loop=loop)
        with pytest.raises(asyncio.CancelledError):
            await task
        seen.append(_cpython.must_cancel(task))

    asyncio.run(main())
    assert seen == [True, False]  # asked, then delivered (a return turned into a cancellation)


def test_an_unretrieved_exception_is_flagged_until_someone_looks():
    async def fails() -> None:
        raise ValueError("boom")

    async def main() -> None:
        task = asyncio.create_task(fails())
        await asyncio.wait([task])
        assert _cpython.exception_unretrieved(task)
        assert isinstance(task.exception(), ValueError)
        assert not _cpython.exception_unretrieved(task)

    asyncio.run(main())


def test_a_futures_done_callbacks_can_be_listed():
    async def main() -> None:
        fut = asyncio.get_running_loop().create_future()

        def on_done(_f: object) -> None:
            pass

        fut.add_done_callback(on_done)
        assert _cpython.done_callbacks(fut) == [on_done]
        fut.set_result(None)
        assert _cpython.done_callbacks(fut) == []

    asyncio.run(main())


def test_a_pending_task_collected_reports_the_known_message():
    loop = asyncio.new_event_loop()
    messages: list[str] = []
    loop.set_exception_handler(lambda _loop, context: messages.append(context["message"]))

    async def forever() -> None:
        await asyncio.Event().wait()

    try:
        task = loop.create_task(forever())
        loop.run_until_complete(asyncio.sleep(0))
        del task
        gc.collect()
    finally:
        loop.close()
    assert _cpython.TASK_DESTROYED_PENDING in messages


def test_a_task_factory_reads_the_name_create_task_was_given():
    names: list[str | None] = []

    def factory(loop: asyncio.AbstractEventLoop, coro, **kwargs) -> asyncio.Task:
        names.append(_cpython.create_task_name(_cpython.getframe(1)))
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(factory)
        await loop.create_task(asyncio.sleep(0), name="named-by-the-caller")
        await loop.create_task(asyncio.sleep(0))

    asyncio.run(main())
    assert names[:2] == ["named-by-the-caller", None]


# ---- what a task awaits ----------------------------------------------------------------------
def _awaited_frames(task: asyncio.Task) -> list[types.FrameType]:
    """The frames of a suspended task's await chain, outermost first."""
    frames = []
    obj = task.get_coro()
    while obj is not None:
        frame = getattr(obj, "cr_frame", None) or getattr(obj, "gi_frame", None)
        if frame is None:
            break
        frames.append(frame)
        obj = getattr(obj, "cr_await", None) or getattr(obj, "gi_yieldfrom", None)
    return frames


def _frame_in(task: asyncio.Task, qualnames: tuple[str, ...]) -> types.FrameType:
    frames = _awaited_frames(task)
    found = [f for f in frames if f.f_code.co_qualname in qualnames]
    assert found, f"none of {qualnames} in {[f.f_code.co_qualname for f in frames]}"
    return found[-1]


async def _napper(delay: float = 0.05) -> None:
    await asyncio.sleep(delay)


def test_a_taskgroup_waits_where_loopviz_looks_and_holds_its_children():
    async def main() -> None:
        kids: list[asyncio.Task] = []

        async def parent() -> None:
            async with asyncio.TaskGroup() as group:
                kids.extend(group.create_task(_napper()) for _ in range(2))

        task = asyncio.create_task(parent())
        await asyncio.sleep(0.01)
        frame = _frame_in(task, _cpython.TASKGROUP_WAITS)
        assert set(_cpython.taskgroup_children(frame)) == set(kids)
        await task

    asyncio.run(main())


def test_gather_keeps_its_children_on_the_outer_future():
    async def main() -> None:
        kids = [asyncio.ensure_future(_napper()) for _ in range(2)]
        outer = asyncio.gather(*kids)
        assert _cpython.gathered(outer) == kids
        assert _cpython.gathered(asyncio.get_running_loop().create_future()) is None
        await outer

    asyncio.run(main())


def test_asyncio_wait_and_wait_for_hold_what_they_wait_for():
    async def main() -> None:
        kids = [asyncio.ensure_future(_napper()) for _ in range(2)]
        waiter = asyncio.create_task(asyncio.wait(kids))
        one = asyncio.ensure_future(_napper())
        timed = asyncio.create_task(asyncio.wait_for(one, 5))
        await asyncio.sleep(0.01)
        assert set(_cpython.waited_futures(_frame_in(waiter, _cpython.WAIT_FUNCTIONS))) \
            == set(kids)
        assert _cpython.waited_futures(_frame_in(timed, ("wait_for",))) == [one]
        await asyncio.gather(waiter, timed)

    asyncio.run(main())


def test_as_completed_waits_where_loopviz_looks():
    async def main() -> None:
        kids = [asyncio.ensure_future(_napper()) for _ in range(2)]

        async def first() -> None:
            for next_done in asyncio.as_completed(kids):
                await next_done
                return

        task = asyncio.create_task(first())
        await asyncio.sleep(0.01)
        frame = _frame_in(task, _cpython.AS_COMPLETED_WAITS)
        pending = set(_cpython.as_completed_pending(frame))
        assert pending == (set(kids) if sys.version_info >= (3, 13) else set())
        await task
        await asyncio.gather(*kids)

    asyncio.run(main())


def test_a_stream_reader_on_a_child_process_pipe_is_known_as_one():
    async def main() -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import time; time.sleep(0.2)", stdout=subprocess.PIPE)
        reader = asyncio.create_task(proc.stdout.read())
        await asyncio.sleep(0.05)
        frame = _frame_in(reader, ("StreamReader.read",))
        assert _cpython.reader_on_pipe(frame)
        await reader
        await proc.wait()

    asyncio.run(main())


def test_a_sleeps_timer_is_the_known_callback_with_the_future_first():
    scheduled: list[tuple[object, tuple[object, ...]]] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        call_at = loop.call_at

        def spy(when, callback, *args, context=None):
            scheduled.append((callback, args))
            return call_at(when, callback, *args, context=context)

        loop.call_at = spy
        try:
            await asyncio.sleep(0.001)
        finally:
            del loop.call_at

    asyncio.run(main())
    (callback, args), = scheduled
    assert callback is _cpython.SLEEP_TIMER
    assert isinstance(args[0], asyncio.Future)


def test_the_default_executor_and_its_threads_can_be_found():
    async def main() -> None:
        loop = asyncio.get_running_loop()
        assert _cpython.default_executor(loop) is None
        await loop.run_in_executor(None, time.sleep, 0)
        executor = _cpython.default_executor(loop)
        assert isinstance(executor, ThreadPoolExecutor)
        threads = _cpython.executor_threads(executor)
        assert threads and all(isinstance(t, threading.Thread) for t in threads)

    asyncio.run(main())


def test_a_coroutine_sent_from_another_thread_is_recognised_with_its_future():
    submissions: list[tuple[object, object]] = []

    async def job() -> int:
        return 7

    async def main() -> None:
        loop = asyncio.get_running_loop()
        orig = loop.call_soon_threadsafe

        def spy(callback, *args, context=None):
            sent = _cpython.threadsafe_submission(callback)
            if sent is not None:
                submissions.append(sent)
            return orig(callback, *args, context=context)

        loop.call_soon_threadsafe = spy
        try:
            futures = []
            thread = threading.Thread(
                target=lambda: futures.append(asyncio.run_coroutine_threadsafe(job(), loop)))
            thread.start()
            await asyncio.to_thread(thread.join)
            assert await asyncio.wrap_future(futures[0]) == 7
            (future, coro), = submissions
            assert future is futures[0] and getattr(coro, "__qualname__", "").endswith("job")
        finally:
            del loop.call_soon_threadsafe

    asyncio.run(main())
    assert _cpython.threadsafe_submission(print) is None


# ---- handles and the loop's queues -------------------------------------------------------------
def test_a_callback_runs_inside_handle_run_inside_the_loops_own_frames():
    stacks: list[list[types.CodeType]] = []

    def callback() -> None:
        frame, codes = _cpython.getframe(0), []
        while frame is not None:
            codes.append(frame.f_code)
            frame = frame.f_back
        stacks.append(codes)

    loop = asyncio.new_event_loop()
    try:
        loop.call_soon(callback)
        loop.run_until_complete(asyncio.sleep(0.01))
    finally:
        loop.close()
    (codes,) = stacks
    assert codes[1] is _cpython.HANDLE_RUN_CODE
    assert _cpython.HANDLE_RUN_CODE.co_name == _cpython.HANDLE_RUN_NAME
    assert codes[2].co_name in _cpython.LOOP_RUNNERS


def test_a_loops_queued_handles_show_their_callbacks_and_arguments():
    loop = asyncio.new_event_loop()
    try:
        soon = loop.call_soon(print, "soon")
        later = loop.call_later(60, print, "later")
        gone = loop.call_soon(print, "cancelled")
        gone.cancel()
        assert _cpython.queued_handles(loop) == [soon, later]
        assert _cpython.handle_callback(soon) is print
        assert _cpython.handle_args(later) == ("later",)
        assert _cpython.handle_callback(gone) is None and _cpython.handle_args(gone) == ()
        later.cancel()
    finally:
        loop.close()


def test_a_timer_taken_off_the_heap_is_not_counted_when_cancelled():
    loop = asyncio.new_event_loop()
    try:
        timer = loop.call_later(60, print)
        assert timer._scheduled
        loop._scheduled.remove(timer)
        _cpython.timer_unscheduled(timer)
        timer.cancel()
        assert loop._timer_cancelled_count == 0  # asyncio counts only timers in its heap
    finally:
        loop.close()


def test_a_wrapper_frame_is_dropped_from_a_debug_handles_creation_stack():
    loop = asyncio.new_event_loop()
    loop.set_debug(True)

    def wrapper() -> asyncio.Handle:
        handle = loop.call_soon(print)
        _cpython.drop_own_frame(handle)
        return handle

    try:
        handle = wrapper()
        assert handle._source_traceback[-1].name == \
            "test_a_wrapper_frame_is_dropped_from_a_debug_handles_creation_stack"
        handle.cancel()
    finally:
        loop.close()


def test_a_loop_closed_for_reuse_reopens_as_if_new():
    loop = asyncio.new_event_loop()

    async def uses_everything() -> int:
        async def agen():
            yield 1

        values = [value async for value in agen()]
        return values[0] + await loop.run_in_executor(None, int, "1")

    try:
        assert loop.run_until_complete(uses_everything()) == 2
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.call_soon(print, "dropped")
        _cpython.close_for_reuse(loop)
        assert loop.is_closed() and not _cpython.queued_handles(loop)
        assert _cpython.default_executor(loop) is None
        _cpython.reopen_loop(loop)
        assert not loop.is_closed()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "scheduled after loop.shutdown_asyncgens()"
            assert loop.run_until_complete(uses_everything()) == 2
    finally:
        _cpython.reopen_loop(loop)
        loop.close()


# ---- warnings, runpy, faulthandler, anyio ------------------------------------------------
def test_a_coroutine_never_awaited_goes_through_the_hook():
    seen: list[object] = []
    previous = _cpython.unawaited_hook()
    assert previous is not None

    async def never() -> None:
        pass

    _cpython.set_unawaited_hook(seen.append)
    try:
        coro = never()
        del coro
        gc.collect()
    finally:
        _cpython.set_unawaited_hook(previous)
    assert [getattr(c, "__qualname__", "") for c in seen] == [never.__qualname__]


def test_a_module_is_found_and_run_as_python_m_does():
    name, spec, code = _cpython.module_details("platform", ImportError)
    assert name == "platform" and spec.name == "platform" and isinstance(code, types.CodeType)
    with pytest.raises(ImportError, match="No module named"):
        _cpython.module_details("no_such_module_here", ImportError)
    ours = subprocess.run(
        [sys.executable, "-c", "from loopviz import _cpython; "
                               "_cpython.run_module_as_main('platform')"],
        capture_output=True, text=True, timeout=60, check=True)
    pythons = subprocess.run([sys.executable, "-m", "platform"], capture_output=True,
                             text=True, timeout=60, check=True)
    assert ours.stdout == pythons.stdout and ours.stdout.strip()


def test_a_faulthandler_dump_gives_this_threads_stack(tmp_path):
    path = tmp_path / "dump.txt"
    with path.open("w") as out:
        faulthandler.dump_traceback(out, all_threads=True)
    frames = _cpython.dumped_stack(path.read_text(), threading.get_ident())
    file, line, function = frames[0]
    assert function == "test_a_faulthandler_dump_gives_this_threads_stack"
    assert file == __file__ and line > 0
    assert _cpython.dumped_stack(path.read_text(), 1) == []


def test_anyio_runs_worker_thread_jobs_where_loopviz_hooks():
    pytest.importorskip("anyio")
    import anyio._backends._asyncio  # noqa: F401 - what anyio.run(backend="asyncio") imports

    backend = _cpython.anyio_backend()
    assert backend is not None
    assert isinstance(backend.__dict__.get(_cpython.ANYIO_WORKER_ENTRY), classmethod)


def test_anyios_worker_thread_job_names_its_function_where_loopviz_reads_it():
    to_thread = pytest.importorskip("anyio.to_thread")

    def job() -> int:
        time.sleep(0.05)
        return 1

    async def main() -> None:
        task = asyncio.create_task(to_thread.run_sync(job))
        await asyncio.sleep(0.02)
        frame = _frame_in(task, (f"AsyncIOBackend.{_cpython.ANYIO_WORKER_ENTRY}",))
        assert _cpython.anyio_job_function(frame) is job
        assert await task == 1

    asyncio.run(main())


def test_qasyncs_own_qt_objects_are_found_on_loopvizs_loop():
    from PySide6 import QtCore

    from loopviz.loop.qt_loop import QtEventLoop

    loop = QtEventLoop()
    try:
        timer, signaller = _cpython.qasync_qt_objects(loop)
        assert isinstance(timer, QtCore.QObject) and isinstance(signaller, QtCore.QObject)
    finally:
        loop.close()


# ---- the features built on them, recorded -------------------------------------------------------
def _record(program) -> Trace:
    loop = new_loop("asyncio")
    try:
        rec = loopviz.record(loop, probes=False).start()
        try:
            loop.run_until_complete(program())
        finally:
            trace = rec.stop()
    finally:
        close_loop(loop)
    return trace


def _wait_targets(trace: Trace, label: str) -> set[str]:
    """The names of the tasks the one wait labelled ``label`` (then its targets' names) waits
    for."""
    (wait,) = [w for w in trace.waits if w.label.split()[0] == label]
    assert wait.kind == "task"
    return {trace.tasks[i - 1].name for i in wait.targets}


def test_a_taskgroup_wait_gets_edges_to_its_children():
    async def program() -> None:
        async with asyncio.TaskGroup() as group:
            for i in range(2):
                group.create_task(_napper(0.01), name=f"kid{i}")

    assert _wait_targets(_record(program), "TaskGroup") == {"kid0", "kid1"}


def test_a_gather_wait_gets_edges_to_its_children():
    async def program() -> None:
        await asyncio.gather(*(asyncio.create_task(_napper(0.01), name=f"kid{i}")
                               for i in range(2)))

    assert _wait_targets(_record(program), "gather") == {"kid0", "kid1"}


def test_a_queue_get_wait_is_a_queue_wait():
    async def program() -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        asyncio.get_running_loop().call_later(0.01, queue.put_nowait, 1)
        await queue.get()

    (wait,) = [w for w in _record(program).waits if w.kind == "queue"]
    assert wait.label.startswith("Queue.get")


def test_an_asyncio_wait_gets_edges_to_what_it_waits_for():
    async def program() -> None:
        await asyncio.wait([asyncio.create_task(_napper(0.01), name=f"kid{i}")
                            for i in range(2)])

    assert _wait_targets(_record(program), "asyncio.wait") == {"kid0", "kid1"}


def test_a_wait_for_gets_an_edge_to_its_task():
    async def program() -> None:
        await asyncio.wait_for(asyncio.create_task(_napper(0.01), name="kid"), 5)

    assert _wait_targets(_record(program), "wait_for") == {"kid"}


def test_an_as_completed_wait_is_named_and_linked_where_python_allows():
    async def program() -> None:
        kids = [asyncio.create_task(_napper(0.01 * (i + 1)), name=f"kid{i}") for i in range(2)]
        for next_done in asyncio.as_completed(kids):
            await next_done

    trace = _record(program)
    waits = [w for w in trace.waits if w.label.split()[0] == "as_completed"]
    assert waits and all(w.kind == "task" for w in waits)
    if sys.version_info >= (3, 13):  # 3.11-3.12 keep the pending futures out of reach
        assert {trace.tasks[i - 1].name for i in waits[0].targets} == {"kid0", "kid1"}


def test_a_sleep_is_recorded_as_a_sleep_with_its_due_time():
    async def program() -> None:
        await asyncio.sleep(0.01)

    (wait,) = [w for w in _record(program).waits if w.kind == "sleep"]
    # The label reads due - suspension: a step preempted between the call and its end (a
    # loaded machine) shortens it by that much, so the exact "10 ms" is not pinned here.
    assert wait.due_ns is not None and 0 < wait.due_ns - wait.start_ns <= 10_000_000
    assert wait.label == f"asyncio.sleep {round((wait.due_ns - wait.start_ns) / 1e6)} ms"
