"""The builder derives waits from raw records in batches: any split of a recording into builds
gives the same trace as one build, and a task's ready time is its first wake-up in the wait."""

from __future__ import annotations

import random
import sys

import pytest

from loopviz.trace.build import build_trace
from loopviz.trace.incremental import IncrementalBuilder
from loopviz.trace.recorder import Recorder, TaskEntry


def recorder_with(steps: list[tuple[int, int, int, str]], wakes: list[tuple[int, int]],
                  dues: list[tuple[int, int, int]]) -> tuple[Recorder, list]:
    """A recorder fed raw records in time order, as the instrumentation would append them;
    returns it and a list of closures that append the next record (to replay in pieces)."""
    rec = Recorder()
    t0 = rec.t0
    sleep = rec.site_id("sleep", "p.py", 3, "asyncio.sleep", ("p.py:3 in work",))
    sleep0 = rec.site_id("sleep", "p.py", 4, "asyncio.sleep(0)", ())
    sites = {"sleep": sleep, "sleep0": sleep0, "done": -1}
    for tid in sorted({s[0] for s in steps}):
        rec.add_task(tid, TaskEntry(f"t{tid}", "work", None, t0, "p.py", 1))
    events = [(start + 0.5, "due", d) for d in dues for start in [d[1] - 0.5]]
    events += [(end, "step", (task, start, end, sites[site])) for task, start, end, site in steps]
    events += [(t, "wake", w) for w in wakes for t in [w[1]]]
    events.sort(key=lambda e: (e[0], {"due": 0, "step": 1, "wake": 2}[e[1]]))
    appends = []
    for _, kind, rec_ in events:
        buf = {"due": rec.dues, "step": rec.steps, "wake": rec.wakes}[kind]
        times = {"due": (1, 2), "step": (1, 2), "wake": (1,)}[kind]
        raw = tuple(v + t0 if i in times else v for i, v in enumerate(rec_))
        appends.append(lambda buf=buf, raw=raw: buf.extend(raw))
    return rec, appends


STEPS = [(1, 0, 10, "sleep"), (2, 10, 20, "sleep0"), (2, 30, 40, "sleep0"),
         (1, 100, 110, "sleep"), (2, 110, 120, "done"), (1, 300, 310, "done")]
WAKES = [(1, 60), (1, 70), (1, 250)]
DUES = [(1, 10, 50), (1, 110, 200)]


def test_a_wait_is_ready_at_the_first_wake_inside_it_and_due_when_its_timer_was() -> None:
    rec, appends = recorder_with(STEPS, WAKES, DUES)
    for append in appends:
        append()
    rec.finished_ns = rec.t0 + 400
    trace = build_trace(rec)
    one = trace.waits_of(1)
    assert [(w.start_ns, w.ready_ns, w.due_ns, w.end_ns) for w in one] == [
        (10, 60, 50, 100), (110, 250, 200, 300)]
    assert [w.label for w in one] == ["asyncio.sleep 0 ms", "asyncio.sleep 0 ms"]
    two = trace.waits_of(2)
    assert [(w.start_ns, w.ready_ns, w.end_ns) for w in two] == [(20, 20, 30), (40, 40, 110)]


def test_sleeps_are_labelled_by_their_site_and_their_own_delay() -> None:
    """Each sleep's label is its site's with its delay: the same delay at two sites and two
    delays at one site are four labels (a million-step build groups them in one pass)."""
    ms = 1_000_000
    steps = [(1, 0, 10, "sleep"), (2, 10, 20, "sleep0"), (1, 6 * ms, 6 * ms + 10, "sleep"),
             (2, 6 * ms + 10, 6 * ms + 20, "sleep0"), (1, 30 * ms, 30 * ms + 5, "done"),
             (2, 30 * ms + 5, 30 * ms + 9, "done")]
    dues = [(1, 10, 10 + 5 * ms), (2, 20, 20 + 20 * ms), (1, 6 * ms + 10, 26 * ms + 10),
            (2, 6 * ms + 20, 11 * ms + 20)]
    rec, appends = recorder_with(steps, [], dues)
    for append in appends:
        append()
    rec.finished_ns = rec.t0 + 40 * ms
    trace = build_trace(rec)
    assert [w.label for w in trace.waits_of(1)] == ["asyncio.sleep 5 ms", "asyncio.sleep 20 ms"]
    assert [w.label for w in trace.waits_of(2)] == ["asyncio.sleep(0) 20 ms",
                                                     "asyncio.sleep(0) 5 ms"]


@pytest.mark.parametrize("delays", [[5, 20, 5, 7], [5, -3, 10**12, 5]])
def test_distinct_site_and_delay_pairs_index_every_wait(delays: list[int]) -> None:
    """Sleep labels are made once per distinct (site, delay): whether the pairs are counted
    (a small range) or sorted (a wide one), each wait points at its own pair."""
    import numpy as np

    from loopviz.trace.derive import distinct_pairs

    sites = np.array([0, 2, 0, 2], np.int64)
    pairs, index = distinct_pairs(sites, np.array(delays, np.int64))
    assert len(set(pairs)) == len(pairs)
    assert [pairs[i] for i in index.tolist()] == list(zip(sites.tolist(), delays, strict=True))


def test_a_finished_recording_is_built_from_its_own_records_and_stays_usable() -> None:
    """The final build of a finished recording reads the recorder's records where they are
    (no copy of a million steps): the same trace as a build from copies, and the recorder
    compacts and builds again afterwards. A running recording never lends them."""
    rec, appends = recorder_with(STEPS, WAKES, DUES)
    for append in appends:
        append()
    with pytest.raises(RuntimeError), rec.lock:
        rec.raw_all()
    rec.finished_ns = rec.t0 + 400
    copied = IncrementalBuilder(rec).build()
    final = build_trace(rec)
    assert final.steps == copied.steps and final.waits == copied.waits
    assert final.growth is not None and len(final.growth.waits_changed) == 0
    rec.compact()
    assert build_trace(rec).waits == final.waits


def random_recording(seed: int, steps_n: int = 300) -> tuple[list, list, list, int]:
    """Three tasks taking turns, some sleeping with timers, some woken in between."""
    rng = random.Random(seed)
    steps, wakes, dues = [], [], []
    t = 0
    for _ in range(steps_n):
        task = rng.choice((1, 2, 3))
        start, end = t, t + rng.randint(0, 5)
        kind = rng.choice(("sleep", "sleep0"))
        steps.append((task, start, end, kind))
        if kind == "sleep":
            dues.append((task, end, end + 7))
        t = end + rng.randint(0, 6)
    for i, (task, _, end, _) in enumerate(steps):  # a wake inside its wait, as in real runs
        following = next((s[1] for s in steps[i + 1:] if s[0] == task), None)
        if i % 3 == 0:
            wake = end + rng.randint(0, 2)
            wakes.append((task, wake if following is None else min(wake, following)))
    wakes.sort(key=lambda w: w[1])
    return steps, wakes, dues, t


def test_builds_at_every_cut_of_the_recording_equal_one_build() -> None:
    rng = random.Random(7)
    steps, wakes, dues, t = random_recording(7)
    rec, appends = recorder_with(steps, wakes, dues)
    builder = IncrementalBuilder(rec)
    live = []
    for i, append in enumerate(appends):
        append()
        if rng.random() < 0.2 or i == len(appends) - 1:
            live.append(builder.build())
    rec.finished_ns = rec.t0 + t + 10
    final = builder.build()
    fresh = build_trace(rec)
    assert list(final.waits) == list(fresh.waits) and list(final.steps) == list(fresh.steps)
    for earlier in live:  # each live trace is a prefix of the final one, open waits aside
        closed = [w for w in earlier.waits if w.end_ns is not None]
        assert all(w in list(fresh.waits) for w in closed)


@pytest.mark.parametrize("seed", range(5))
def test_a_big_build_derived_in_batches_equals_one_derived_at_once(seed: int) -> None:
    steps, wakes, dues, t = random_recording(seed, 400)  # equal times included
    rec, appends = recorder_with(steps, wakes, dues)
    for append in appends:
        append()
    rec.finished_ns = rec.t0 + t + 10
    whole = IncrementalBuilder(rec)
    whole.batch = 10_000
    batched = IncrementalBuilder(rec)
    batched.batch = 7
    assert batched.build() == whole.build()


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks exist from Python 3.12")
def test_eager_tasks_nested_steps_derive_the_same_in_batches_as_at_once() -> None:
    """An eager task's first step runs inside its parent's: steps arrive out of start order
    (the builder re-sorts them), whatever the batches."""
    import asyncio

    import loopviz

    async def child(n: int) -> None:
        for _ in range(n % 3):
            await asyncio.sleep(0)

    async def main() -> loopviz.Recording:
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
        with loopviz.record(probes=False) as rec:
            await asyncio.gather(*(asyncio.create_task(child(n)) for n in range(40)))
        return rec

    rec = asyncio.run(main()).recorder
    whole, batched = IncrementalBuilder(rec), IncrementalBuilder(rec)
    batched.batch = 5
    once, in_batches = whole.build(), batched.build()
    assert in_batches == once and len(once.steps) > 40
    starts = once.steps.start_ns
    assert bool((starts[1:] >= starts[:-1]).all())  # sorted by start, nested ones included
