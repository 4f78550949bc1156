"""What the instrumentation records: waits classified by what they wait on, the line where a
task is suspended, ready and due times, await edges, executor jobs, and nothing of its own on
the loop when probes are off."""

from __future__ import annotations

import asyncio
import heapq
import inspect
import threading
import time

import pytest

import loopviz
from loopviz.session import close_loop, new_loop
from loopviz.trace import Trace


def record(program, loop_kind: str = "asyncio", probes: bool = False) -> tuple[object, Trace]:
    loop = new_loop(loop_kind)
    try:
        rec = loopviz.record(loop, probes=probes).start()
        try:
            value = loop.run_until_complete(program())
        finally:
            trace = rec.stop()
    finally:
        close_loop(loop)
    return value, trace


def line_of(fn, text: str) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


async def primitives():
    q: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
    lock, sem, ev = asyncio.Lock(), asyncio.Semaphore(1), asyncio.Event()

    async def q_user():
        await q.put(1)
        await q.put(2)  # waits: queue full

    async def lock_user():
        async with lock:  # waits: lock held
            pass

    async def sem_user():
        async with sem:  # waits: semaphore taken
            pass

    async def ev_user():
        await ev.wait()  # waits: event

    await lock.acquire()
    await sem.acquire()
    tasks = [asyncio.create_task(f(), name=f.__name__)
             for f in (q_user, lock_user, sem_user, ev_user)]
    await asyncio.sleep(0.02)
    await q.get()
    lock.release()
    sem.release()
    ev.set()
    await asyncio.gather(*tasks)


@pytest.mark.parametrize("loop_kind", ["asyncio", "qt"])
def test_waits_are_classified_by_what_they_wait_on(loop_kind):
    _, trace = record(primitives, loop_kind)
    kinds = {t.name: {w.kind for w in trace.waits_of(t.id)} for t in trace.tasks}
    assert kinds["q_user"] == {"queue"}
    assert kinds["lock_user"] == {"lock"}
    assert kinds["sem_user"] == {"semaphore"}
    assert kinds["ev_user"] == {"event"}
    wait = trace.waits_of(trace.tasks_named("lock_user")[0].id)[0]
    assert wait.label == "Lock.acquire"
    assert wait.line == line_of(primitives, "async with lock:")
    assert wait.file == __file__


async def sleeper_and_gather():
    async def nap(seconds):
        await asyncio.sleep(seconds)  # the line the wait is attributed to
        return seconds
    children = [asyncio.create_task(nap(0.05 * (i + 1)), name=f"nap-{i}") for i in range(3)]
    return await asyncio.gather(*children)


async def ready_while_the_loop_is_busy() -> None:
    ev = asyncio.Event()

    async def patient() -> None:
        await ev.wait()

    async def setter() -> None:
        ev.set()  # patient is ready from here...
        time.sleep(0.05)  # ...but runs only when this step ends

    await asyncio.gather(asyncio.create_task(patient(), name="patient"), setter())


@pytest.mark.parametrize("loop_kind", ["asyncio", "qt"])
def test_wake_ups_are_recorded_in_debug_mode_too(loop_kind):
    loop = new_loop(loop_kind)
    loop.set_debug(True)
    loop.slow_callback_duration = 1.0  # no "slow callback" warnings for the 50 ms block
    try:
        rec = loopviz.record(loop, probes=False).start()
        loop.run_until_complete(ready_while_the_loop_is_busy())
        trace = rec.stop()
    finally:
        close_loop(loop)
    (wait,) = trace.waits_of(trace.tasks_named("patient")[0].id)
    assert wait.ready_ns is not None and wait.end_ns - wait.ready_ns >= 0.04e9


class _OwnCallLater(asyncio.SelectorEventLoop):
    """A loop whose call_later does not go through call_at (asyncio's own does)."""

    def call_later(self, delay, callback, *args, context=None):
        timer = asyncio.TimerHandle(self.time() + delay, callback, args, self, context)
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer


def test_a_loop_with_its_own_call_later_still_records_sleep_due_times():
    loop = _OwnCallLater()
    try:
        rec = loopviz.record(loop, probes=False).start()
        assert "call_later" in vars(loop), "an own call_later is hooked itself"
        value = loop.run_until_complete(sleeper_and_gather())
        trace = rec.stop()
        assert "call_later" not in vars(loop)
    finally:
        loop.close()
    assert value == pytest.approx([0.05, 0.1, 0.15])
    for i in range(3):
        (wait,) = trace.waits_of(trace.tasks_named(f"nap-{i}")[0].id)
        assert wait.kind == "sleep" and wait.start_ns <= wait.due_ns <= wait.ready_ns


@pytest.mark.parametrize("loop_kind", ["asyncio", "qt"])
def test_a_sleep_records_its_line_due_time_and_the_moment_it_became_ready(loop_kind):
    value, trace = record(sleeper_and_gather, loop_kind)
    assert value == pytest.approx([0.05, 0.1, 0.15])
    for i in range(3):
        (wait,) = trace.waits_of(trace.tasks_named(f"nap-{i}")[0].id)
        assert wait.kind == "sleep"
        assert wait.line == line_of(sleeper_and_gather, "await asyncio.sleep(seconds)")
        assert wait.due_ns is not None and wait.ready_ns is not None
        assert wait.start_ns <= wait.due_ns <= wait.ready_ns <= wait.end_ns  # never early
        assert wait.due_ns - wait.start_ns == pytest.approx(0.05e9 * (i + 1), abs=5e6)
        assert wait.label.endswith(f"{50 * (i + 1)} ms")


def test_gather_is_an_await_edge_to_each_child():
    async def program():
        async def child():
            await asyncio.sleep(0.01)
        parent = asyncio.create_task(sleeper_and_gather(), name="parent")
        await parent
        await asyncio.wait([asyncio.create_task(child(), name="waited")])
    _, trace = record(program)
    parent = trace.tasks_named("parent")[0]
    (gather_wait,) = trace.waits_of(parent.id)
    naps = {t.id for t in trace.tasks_named("nap-")}
    assert gather_wait.kind == "task" and set(gather_wait.targets) == naps
    assert {(a, b) for a, b, _ in trace.await_edges()} >= {(parent.id, n) for n in naps}
    assert all(trace.task(n).parent == parent.id for n in naps)
    waited = trace.tasks_named("waited")[0]
    assert any(waited.id in w.targets and w.label == "asyncio.wait waited" for w in trace.waits)


def test_executor_jobs_are_linked_to_the_awaiting_task_and_run_on_a_worker():
    def work():
        time.sleep(0.02)
        return threading.current_thread().name

    async def program():
        async def offload():
            return await asyncio.to_thread(work)
        return await asyncio.create_task(offload(), name="offloader")
    value, trace = record(program, "qt")
    assert value.startswith("asyncio_")
    (job,) = trace.jobs
    task = trace.tasks_named("offloader")[0]
    assert job.task == task.id and job.function == "test_executor_jobs_are_linked_to_the_aw" \
        "aiting_task_and_run_on_a_worker.<locals>.work"
    assert job.submitted_ns <= job.start_ns < job.end_ns
    assert trace.threads[job.thread].role == "executor"
    (wait,) = trace.waits_of(task.id)
    assert wait.kind == "executor" and wait.ready_ns >= job.end_ns
    assert {s.thread for s in trace.steps_of(task.id)} == {trace.ui_thread()}


def test_a_blocking_step_shows_other_tasks_ready_but_not_running():
    async def program():
        async def patient():
            await asyncio.sleep(0.01)

        async def blocker():
            await asyncio.sleep(0.005)
            time.sleep(0.1)  # blocks the loop: patient's timer is due but cannot run
        await asyncio.gather(asyncio.create_task(patient(), name="patient"),
                             asyncio.create_task(blocker(), name="blocker"))
    _, trace = record(program, "qt")
    (wait,) = trace.waits_of(trace.tasks_named("patient")[0].id)
    assert wait.end_ns - wait.ready_ns > 0.05e9 or wait.end_ns - wait.due_ns > 0.05e9
    blocker_steps = trace.steps_of(trace.tasks_named("blocker")[0].id)
    assert max(s.end_ns - s.start_ns for s in blocker_steps) >= 0.09e9


@pytest.mark.parametrize("loop_kind", ["asyncio", "qt"])
def test_record_without_probes_schedules_nothing_on_the_loop(loop_kind):
    async def program():
        loop = asyncio.get_running_loop()
        await asyncio.sleep(0)
        return len(loop._ready), len(loop._scheduled)

    loop = new_loop(loop_kind)
    try:
        bare = loop.run_until_complete(program())
        rec = loopviz.record(loop, probes=False).start()
        instrumented = loop.run_until_complete(program())
        rec.stop()
    finally:
        close_loop(loop)
    assert instrumented == bare


def test_record_context_manager_inside_a_running_program(tmp_path):
    async def main():
        with loopviz.record() as rec:
            await sleeper_and_gather()
        return rec

    rec = asyncio.run(main())
    assert len(rec.trace.tasks_named("nap-")) == 3
    path = rec.save(tmp_path / "run.loopviz.json")
    assert path.exists()
    assert "call_soon" not in rec.loop.__dict__  # everything put back


async def nested_callers():
    async def leaf():
        await asyncio.sleep(0)  # the innermost user line

    async def caller_a():
        await leaf()

    async def caller_b():
        await leaf()
    await asyncio.gather(asyncio.create_task(caller_a(), name="a"),
                         asyncio.create_task(caller_b(), name="b"))


@pytest.mark.parametrize("loop_kind", ["asyncio", "qt"])
def test_each_wait_carries_its_own_async_stack(loop_kind):
    """The same helper awaited from two callers is suspended at the same line, but each wait
    remembers its own chain of frames (the coroutine 'state machine' a scrubber shows)."""
    _, trace = record(nested_callers, loop_kind)
    stacks = {}
    for name in ("a", "b"):
        (wait,) = trace.waits_of(trace.tasks_named(name)[0].id)
        assert wait.line == line_of(nested_callers, "await asyncio.sleep(0)  # the innermost")
        stacks[name] = wait.stack
    assert [s.rsplit(" in ", 1)[1] for s in stacks["a"]][:2] == [
        "nested_callers.<locals>.caller_a", "nested_callers.<locals>.leaf"]
    assert stacks["b"][0].endswith("caller_b") and stacks["a"][1:] == stacks["b"][1:]
    assert stacks["a"][-1].endswith(" in sleep")  # the library frame it waits in


def test_a_named_task_keeps_its_name_even_if_it_never_ends():
    async def program():
        asyncio.get_running_loop().create_task(asyncio.sleep(5), name="forgotten")
        await asyncio.sleep(0)
    loop = new_loop("asyncio")
    try:
        rec = loopviz.record(loop, probes=False).start()
        loop.run_until_complete(program())
        for task in asyncio.all_tasks(loop):
            task.cancel()
        del task
        import gc

        gc.collect()
        trace = rec.stop()
    finally:
        close_loop(loop)
    assert [t.name for t in trace.tasks if t.coro == "sleep"] == ["forgotten"]


def test_a_finished_task_keeps_its_final_name_and_no_reference_to_the_task():
    """What the recording holds per finished task is its entry alone: the name it ended with,
    not a weak reference to the task object (kept for every task of a long run)."""
    async def renamed():
        asyncio.current_task().set_name("renamed while running")
        await asyncio.sleep(0)

    async def program():
        loop = asyncio.get_running_loop()
        await asyncio.gather(loop.create_task(renamed(), name="first name"),
                             loop.create_task(asyncio.sleep(0), name="plain"))

    loop = new_loop("asyncio")
    try:
        rec = loopviz.record(loop, probes=False).start()
        loop.run_until_complete(program())
        entries = list(rec.recorder.tasks.values())
        trace = rec.stop()
    finally:
        close_loop(loop)
    ended = [e for e in entries if e.ended is not None]
    assert {e.name for e in ended} >= {"renamed while running", "plain"}
    assert all(e.task_ref is None for e in ended)
    assert {t.name for t in trace.tasks} >= {"renamed while running", "plain"}


def test_process_pool_jobs_run_under_instrumentation():
    """A process pool pickles the function: the executor hook must not wrap it in a closure
    (it sends a picklable wrapper that times the job in the worker process)."""
    from concurrent.futures import ProcessPoolExecutor

    async def program():
        with ProcessPoolExecutor(max_workers=1) as pool:
            return await asyncio.get_running_loop().run_in_executor(pool, abs, -7)
    value, trace = record(program)
    assert value == 7
    (job,) = trace.jobs
    worker = next(t for t in trace.threads if t.id == job.thread)
    assert job.function == "abs" and "pid" in worker.name
    assert job.submitted_ns <= job.start_ns <= job.end_ns
