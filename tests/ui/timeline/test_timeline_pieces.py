"""What the lanes show beyond steps and waits: a timer's lateness, jobs queued for a worker,
a mark at each diagnostic, and library code's tasks grouped below the user's (no Qt)."""

from __future__ import annotations

import dataclasses

from loopviz.trace import Diagnostic, Job, Wait
from loopviz.ui.timeline.describe import describe
from loopviz.ui.timeline.layout import TimelineModel

from .conftest import MS, _ns, make_trace, step, task

LIB = "/usr/lib/python3.11/asyncio/queues.py"


def sleep(tid: int, start: int, due: int, ready: int | None, end: int | None,
          file: str = "demo.py") -> Wait:
    return Wait(tid, start * MS, _ns(ready), due * MS, _ns(end), "sleep", (), "asyncio.sleep",
                file, 14)


def model_of(trace) -> TimelineModel:
    m = TimelineModel()
    m.update(trace)
    return m


def spans(m: TimelineModel, state: str) -> list[tuple[float, float, str]]:
    x0, x1, rows = m.columns(state)
    return [(round(a * 1e3, 3), round(b * 1e3, 3), m.rows[r].label)
            for a, b, r in zip(x0, x1, rows, strict=True)]


def test_a_timer_that_fires_late_is_late_from_its_due_time_until_its_callback_ran() -> None:
    trace = make_trace(tasks=(task(1, "spinner"),), steps=(step(1, 0, 1), step(1, 80, 81)),
                       waits=(sleep(1, 1, 11, 70, 80),))
    m = model_of(trace)
    assert spans(m, "wait:sleep") == [(1.0, 11.0, "spinner")]
    assert spans(m, "late") == [(11.0, 70.0, "spinner")]
    assert spans(m, "ready") == [(70.0, 80.0, "spinner")]
    text = describe(trace, m.hit(m.row_of("task", 1), 0.040))
    assert "LATE by 59 ms" in text and "resumed 69 ms after due" in text


def test_a_timer_on_time_shows_no_lateness() -> None:
    trace = make_trace(tasks=(task(1, "t"),), waits=(sleep(1, 1, 11, 11, 12),))
    assert spans(model_of(trace), "late") == []


def test_an_open_timer_turns_late_only_once_now_passes_its_due_time() -> None:
    trace = make_trace(duration_ms=10, tasks=(task(1, "t"),), waits=(sleep(1, 1, 20, None, None),))
    m = model_of(trace)
    assert spans(m, "late") == [] and spans(m, "wait:sleep") == [(1.0, 10.0, "t")]
    m.update(dataclasses.replace(trace, duration_ns=50 * MS))  # a block: still not fired
    assert spans(m, "wait:sleep") == [(1.0, 20.0, "t")] and spans(m, "late") == [(20.0, 50.0, "t")]


def test_jobs_waiting_for_a_worker_each_get_a_queue_row() -> None:
    jobs = (Job(1, 1, "slow", 0, 0, 800 * MS), Job(1, 1, "slow", 0, 800 * MS, 1600 * MS),
            Job(1, 1, "quick", 50 * MS, 1600 * MS, 1610 * MS))
    m = model_of(make_trace(duration_ms=1700, tasks=(task(1, "main"),), jobs=jobs))
    assert [lane.label for lane in m.rows] == [
        "UI thread", "asyncio_0", "waiting for a worker", "waiting for a worker (2)", "main"]
    assert spans(m, "queued") == [(0.0, 800.0, "waiting for a worker"),
                                  (50.0, 1600.0, "waiting for a worker (2)")]
    assert len(spans(m, "job")) == 3  # back to back on one worker, still three jobs
    quick = m.hit(m.row_of("queue", 1), 1.0)
    assert "quick queued for 1.55 s" in describe(m.trace, quick)


def test_a_job_that_started_at_once_did_not_queue() -> None:
    jobs = (Job(1, 1, "fast", 0, 2 * MS, 30 * MS),)
    m = model_of(make_trace(tasks=(task(1, "main"),), jobs=jobs))
    assert spans(m, "queued") == [] and m.row_of("queue", 0) == -1


def test_a_diagnostic_is_marked_at_its_time_on_the_thread_it_names() -> None:
    said = Diagnostic(40 * MS, "wrong-thread-ui", "QLabel.setText called from thread "
                      "'asyncio_0', not the UI thread", None, "demo.py", 39)
    trace = make_trace(tasks=(task(1, "main"),), jobs=(Job(1, 1, "download", 0, 0, 90 * MS),),
                       diagnostics=(said,))
    m = model_of(trace)
    [(x, key, ref)] = m.alerts.tolist()
    assert x == 0.04 and m.row_of_key[int(key)] == m.row_of("thread", 1) and ref == 0
    hit = m.hit(m.row_of("thread", 1), 0.0401, tolerance=0.001)
    assert hit.state == "alert" and "QLabel.setText called from thread" in describe(trace, hit)


def test_library_tasks_are_grouped_below_the_users_own_and_start_collapsed() -> None:
    tasks = (task(1, "main"), task(2, "Task-2", 1), task(3, "handler", 1),
             task(4, "Task-4", 1), task(5, "mine", 4))
    waits = (sleep(2, 1, 5, 5, 6, file=LIB), sleep(3, 1, 5, 5, 6), sleep(4, 1, 5, 5, 6, file=LIB),
             sleep(5, 2, 5, 5, 6))
    m = model_of(make_trace(tasks=tasks, waits=waits))
    labels = ["  " * lane.depth + lane.label for lane in m.rows]
    # mine was started by library code (Task-4): it is the user's, so it is not hidden there
    # named after its parent: a top-level group's label would differ from it by indent only
    assert labels == ["UI thread", "main", "  handler", "  mine", "  library tasks of main (2)"]
    m.toggle_collapsed(m.rows[-1].ident)
    assert ["  " * lane.depth + lane.label for lane in m.rows][-3:] == [
        "  library tasks of main (2)", "    Task-2 · work", "    Task-4 · work"]


def test_revealing_a_library_task_opens_its_group() -> None:
    tasks = (task(1, "main"), task(2, "Task-2", 1))
    m = model_of(make_trace(tasks=tasks, waits=(sleep(2, 1, 5, 5, 6, file=LIB),)))
    assert m.row_of("task", 2) == -1
    m.reveal(2)
    assert m.row_of("task", 2) > m.row_of("task", 1)


def test_a_library_coroutine_calling_user_code_is_library_but_anyios_wrapper_is_not() -> None:
    def waiting_in(tid: int, where: str) -> Wait:
        return Wait(tid, 1 * MS, 5 * MS, None, 6 * MS, "sleep", (), "asyncio.sleep",
                    "/home/me/app.py", 8, (f"/home/me/app.py:8 in {where}",))

    tasks = (task(1, "Task-1", coro="main"),
             task(2, "Task-15", coro="RequestHandler._handle_request"),  # aiohttp -> hello()
             task(3, "__main__.producer", coro="TaskHandle._run_coro"),  # anyio -> producer()
             task(4, "Task-36", coro="RequestHandler.shutdown", ended=9, outcome="result"),
             task(5, "Task-40", coro="tidy", ended=9, outcome="result"))  # never suspended
    trace = make_trace(
        tasks=tasks, waits=(waiting_in(1, "main"), waiting_in(2, "hello"),
                            waiting_in(3, "producer")),
        meta={"target": "app.py", "started_at": "t0",
              "source": "async def main(): ...\nasync def hello(r): ...\n"
                        "async def producer(): ...\nasync def tidy(): ...\n"})
    m = model_of(trace)
    assert m.library == {2, 4}
    assert [lane.label.split(" · ")[0] for lane in m.rows if lane.kind != "thread"] == [
        "Task-1", "__main__.producer", "Task-40", "library tasks (2)"]


def test_tasks_alike_but_for_a_name_given_by_the_program_are_judged_apart() -> None:
    def waiting_in(tid: int) -> Wait:
        where = "main" if tid == 1 else "hello"
        return Wait(tid, 1 * MS, 5 * MS, None, 6 * MS, "sleep", (), "asyncio.sleep",
                    "/home/me/app.py", 8, (f"/home/me/app.py:8 in {where}",))

    handler = "RequestHandler._handle_request"
    tasks = (task(1, "Task-1", coro="main"), *(task(i, f"Task-{i}", coro=handler)
                                               for i in range(2, 40)),
             task(40, "my-handler", coro=handler),  # the program named it: the user's
             *(task(i, f"Task-{i}", coro="RequestHandler.shutdown", ended=9, outcome="result")
               for i in range(41, 45)))  # never suspended, not the program's
    trace = make_trace(tasks=tasks, waits=tuple(waiting_in(i) for i in range(1, 41)),
                       meta={"target": "app.py", "started_at": "t0",
                             "source": "async def main(): ...\nasync def hello(r): ...\n"})
    assert model_of(trace).library == set(range(2, 40)) | set(range(41, 45))
