"""Scheduling: the loopviz Qt loop orders, delays and cancels callbacks exactly as asyncio does."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loopviz.loop import QtEventLoop

from .conftest import qt_timers_active

Loop = asyncio.AbstractEventLoop


def test_call_soon_is_fifo_and_callbacks_scheduled_by_callbacks_run_after_queued_ones(
    loop: Loop,
) -> None:
    events: list[str] = []

    def record(name: str, *children: str) -> None:
        events.append(name)
        for child in children:
            loop.call_soon(record, child)

    loop.call_soon(record, "a", "a1", "a2")
    loop.call_soon(record, "b", "b1")
    loop.call_soon(record, "c")
    loop.run_until_complete(asyncio.sleep(0.01))

    assert events == ["a", "b", "c", "a1", "a2", "b1"]


def test_call_later_zero_runs_after_the_call_soon_callbacks_of_the_same_iteration(
    loop: Loop,
) -> None:
    """asyncio collects due timers at the start of the next iteration, after the ready queue."""
    events: list[str] = []

    def first() -> None:
        events.append("first")
        loop.call_later(0, events.append, "later-0")
        loop.call_soon(events.append, "soon")

    loop.call_soon(first)
    loop.run_until_complete(asyncio.sleep(0.01))

    assert events == ["first", "soon", "later-0"]


def test_call_later_returns_a_timer_handle_due_after_its_delay(loop: Loop) -> None:
    before = loop.time()
    handle = loop.call_later(0.05, lambda: None)
    after = loop.time()

    assert isinstance(handle, asyncio.TimerHandle)
    assert before + 0.05 <= handle.when() <= after + 0.05
    at = loop.call_at(handle.when() + 1, lambda: None)
    assert isinstance(at, asyncio.TimerHandle) and at.when() == handle.when() + 1
    handle.cancel()
    at.cancel()


def test_timers_fire_in_due_order_and_never_early(loop: Loop) -> None:
    rng = random.Random(3)
    fired: list[tuple[float, float, int]] = []  # (when, loop.time() at firing, index)
    handles: list[asyncio.TimerHandle] = []

    def on_fire(index: int) -> None:
        fired.append((handles[index].when(), loop.time(), index))

    for index in range(40):
        handles.append(loop.call_later(rng.uniform(0.0, 0.04), on_fire, index))
    loop.run_until_complete(asyncio.sleep(0.1))

    assert len(fired) == 40
    whens = [when for when, _at, _index in fired]
    assert whens == sorted(whens)
    for when, at, index in fired:
        assert at >= when, f"timer {index} fired {when - at:.6f} s early"


def test_cancelled_handles_and_timers_never_run(loop: Loop) -> None:
    ran: list[str] = []
    loop.call_soon(ran.append, "cancelled-soon").cancel()
    loop.call_later(0.001, ran.append, "cancelled-later").cancel()
    doomed = loop.call_later(0.02, ran.append, "cancelled-from-callback")
    loop.call_later(0.01, doomed.cancel)
    # Enough cancelled timers to make asyncio compact its heap (> 100 and > 50%).
    for _ in range(300):
        loop.call_later(0.005, ran.append, "mass-cancelled").cancel()
    loop.call_soon(ran.append, "kept")
    loop.run_until_complete(asyncio.sleep(0.05))

    assert ran == ["kept"]
    assert [h for h in loop._scheduled if not h.cancelled()] == []  # type: ignore[attr-defined]


def test_call_soon_threadsafe_from_a_thread_wakes_an_idle_loop(loop: Loop) -> None:
    woken = loop.create_future()
    returned: list[object] = []

    def from_thread() -> None:
        time.sleep(0.05)  # the loop is idle by now: nothing else is scheduled but wait_for's timer
        returned.append(loop.call_soon_threadsafe(woken.set_result, threading.current_thread()))

    thread = threading.Thread(target=from_thread)
    thread.start()
    caller = loop.run_until_complete(asyncio.wait_for(woken, 10))
    thread.join()

    assert caller is thread
    assert isinstance(returned[0], asyncio.Handle)


def test_call_soon_threadsafe_keeps_each_threads_order(loop: Loop) -> None:
    seen: dict[int, list[int]] = {n: [] for n in range(4)}
    done = loop.create_future()
    total = 4 * 200

    def record(thread_no: int, index: int) -> None:
        seen[thread_no].append(index)
        if sum(map(len, seen.values())) == total:
            done.set_result(None)

    threads = [
        threading.Thread(target=lambda n=n: [loop.call_soon_threadsafe(record, n, i)
                                             for i in range(200)])
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    loop.run_until_complete(asyncio.wait_for(done, 10))
    for thread in threads:
        thread.join()

    assert all(indices == list(range(200)) for indices in seen.values())


def test_stop_finishes_the_current_iteration_and_the_rest_runs_next_time(loop: Loop) -> None:
    events: list[str] = []

    def b() -> None:
        events.append("b")
        loop.call_soon(events.append, "c")

    loop.call_soon(events.append, "a")
    loop.call_soon(loop.stop)
    loop.call_soon(b)
    loop.run_forever()
    assert events == ["a", "b"]

    loop.call_soon(loop.stop)
    loop.run_forever()
    assert events == ["a", "b", "c"]
    assert not qt_timers_active(loop)


def test_stop_before_run_forever_runs_exactly_one_iteration(loop: Loop) -> None:
    events: list[str] = []
    loop.call_soon(lambda: (events.append("first"), loop.call_soon(events.append, "second")))
    loop.stop()
    loop.run_forever()
    assert events == ["first"]


def test_timer_pending_across_runs_fires_in_the_later_run(loop: Loop) -> None:
    fired: list[float] = []
    handle = loop.call_later(0.03, lambda: fired.append(loop.time()))
    loop.run_until_complete(asyncio.sleep(0))
    assert fired == [] and not qt_timers_active(loop)
    loop.run_until_complete(asyncio.sleep(0.06))
    assert len(fired) == 1 and fired[0] >= handle.when()


def test_instance_level_patches_of_scheduling_methods_are_used(loop: Loop) -> None:
    """loopviz's instrumentation wraps call_soon/call_later/run_in_executor on the instance."""
    calls: dict[str, int] = {"call_soon": 0, "call_later": 0, "run_in_executor": 0}

    def patch(name: str) -> None:
        original: Callable[..., object] = getattr(loop, name)

        def wrapper(*args: object, **kwargs: object) -> object:
            calls[name] += 1
            return original(*args, **kwargs)

        setattr(loop, name, wrapper)

    for name in calls:
        patch(name)

    async def main() -> None:
        await asyncio.sleep(0)
        await asyncio.sleep(0.001)
        await asyncio.to_thread(lambda: None)

    loop.run_until_complete(main())
    for name in calls:
        delattr(loop, name)

    assert all(count > 0 for count in calls.values()), calls


# -- property: random callback programs give the same sequence on both loops --------------------

_programs = st.recursive(
    st.just(()),
    lambda children: st.lists(
        st.tuples(st.sampled_from(["soon", "later0", "cancelled"]), children), max_size=3
    ).map(tuple),
    max_leaves=25,
)


def _run_program(loop: Loop, program: tuple) -> list[str]:
    events: list[str] = []
    pending: set[str] = set()
    done = loop.create_future()

    def schedule(path: str, kind: str, children: tuple) -> None:
        pending.add(path)
        if kind == "later0":
            handle: asyncio.Handle = loop.call_later(0, node, path, children)
        else:
            handle = loop.call_soon(node, path, children)
        if kind == "cancelled":
            handle.cancel()
            pending.discard(path)

    def node(path: str, children: tuple) -> None:
        events.append(path)
        pending.discard(path)
        for index, (kind, grandchildren) in enumerate(children):
            schedule(f"{path}.{index}", kind, grandchildren)
        if not pending and not done.done():
            done.set_result(None)

    loop.call_soon(node, "root", program)
    pending.add("root")
    loop.run_until_complete(asyncio.wait_for(done, 10))
    return events


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(program=_programs)
def test_random_callback_programs_run_in_the_same_order_as_on_asyncio(
    qapp: object, program: tuple
) -> None:
    plain = asyncio.new_event_loop()
    qt = QtEventLoop(qapp)  # type: ignore[arg-type]
    try:
        assert _run_program(qt, program) == _run_program(plain, program)
    finally:
        plain.close()
        qt.close()


@pytest.mark.parametrize("budget", [0.0, 0.008])
def test_batches_cut_by_the_budget_keep_asyncio_iteration_order(
    qapp: object, budget: float
) -> None:
    """A zero budget yields to Qt after every callback: the order must not change."""
    program = tuple(("soon", tuple(("later0" if i % 2 else "soon", ()) for i in range(3)))
                    for _ in range(4))
    plain = asyncio.new_event_loop()
    qt = QtEventLoop(qapp, batch_budget=budget)  # type: ignore[arg-type]
    try:
        assert _run_program(qt, program) == _run_program(plain, program)
    finally:
        plain.close()
        qt.close()
