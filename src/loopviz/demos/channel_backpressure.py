"""Channels with backpressure: a bounded ``asyncio.Queue`` makes a fast producer wait when the
queue is full, so it can never run more than ``maxsize`` items ahead of a slow consumer."""

from __future__ import annotations

import asyncio

from loopviz.demos.base import FIXED, Demo, Param, Question
from loopviz.trace import Finding, TaskInfo, Trace
from loopviz.trace.wording import duration


async def producer(queue: asyncio.Queue[int], items: int, make: float) -> None:
    for n in range(items):
        await asyncio.sleep(make)  # make the next item (fast)
        await queue.put(n)  # a full queue suspends the producer right here: backpressure


async def consumer(queue: asyncio.Queue[int], items: int, work: float) -> None:
    for _ in range(items):
        await queue.get()  # an empty queue suspends the consumer here
        await asyncio.sleep(work)  # handle the item (slow)


async def main(variant: str, items: int = 8, maxsize: int = 2, make: float = 0.05,
               work: float = 0.25) -> None:
    # maxsize=0 means unbounded: put() never waits, however far behind the consumer is.
    queue: asyncio.Queue[int] = asyncio.Queue(maxsize=maxsize if variant == FIXED else 0)
    async with asyncio.TaskGroup() as tg:
        tg.create_task(producer(queue, items, make), name="producer")
        tg.create_task(consumer(queue, items, work), name="consumer")


def queue_depth(trace: Trace) -> list[tuple[int, int]]:
    """(time, items in the queue) after every put and get, read from the two tasks' steps.

    The demo's shape makes each step's effect readable from the wait that follows it: a
    producer step that does not end suspended in ``put`` has put one item (its first step only
    starts the first sleep); a consumer step that ends in its handling sleep has got one item.
    Steps on the one loop thread never overlap, so their order is the order of the events."""
    events: list[tuple[int, int]] = []
    for role, delta in (("producer", +1), ("consumer", -1)):
        task = _task(trace, role)
        waits = {w.start_ns: w for w in trace.waits_of(task.id)}
        for i, step in enumerate(trace.steps_of(task.id)):
            after = waits.get(step.end_ns)
            if role == "producer" and i > 0 and (after is None or after.kind != "queue"):
                events.append((step.start_ns, delta))
            if role == "consumer" and after is not None and after.kind == "sleep":
                events.append((step.start_ns, delta))
    depth, out = 0, []
    for t, delta in sorted(events):
        depth += delta
        out.append((t, depth))
    return out


def _task(trace: Trace, name: str) -> TaskInfo:
    return next(t for t in trace.tasks if t.name == name)


def check(trace: Trace, variant: str, items: int = 8, maxsize: int = 2, make: float = 0.05,
          work: float = 0.25) -> list[Finding]:
    depths = queue_depth(trace)
    deepest = max((d for _, d in depths), default=0)
    blocked = [w for w in trace.waits_of(_task(trace, "producer").id) if w.kind == "queue"]
    held = sum((w.end_ns or trace.duration_ns) - w.start_ns for w in blocked)
    puts = sum(1 for i, (_, d) in enumerate(depths) if d > (depths[i - 1][1] if i else 0))
    data = {"max_depth": deepest, "producer_queue_waits": len(blocked), "held_s": held / 1e9,
            "puts": puts}
    if variant == FIXED:
        return [Finding(
            f"queue depth never above {deepest} (maxsize {maxsize}); the producer waited "
            f"{len(blocked)} times on a full queue, {duration(held)} in all",
            ok=0 < deepest <= maxsize and len(blocked) > 0 and puts == items, data=data)]
    return [Finding(
        f"unbounded queue: the producer never waited and ran {deepest} items ahead of the "
        f"consumer (all {items} made by {duration(_producer_done(trace))})",
        ok=not blocked and deepest > maxsize and puts == items, data=data)]


def _producer_done(trace: Trace) -> int:
    return _task(trace, "producer").ended_ns or trace.duration_ns


def _depth_answer(trace: Trace, variant: str, items: int = 8, maxsize: int = 2,
                  **params: float) -> int:
    deepest = max((d for _, d in queue_depth(trace)), default=0)
    return 0 if deepest <= maxsize else 1


DEMO = Demo(
    id="channel-backpressure",
    title="Queues with backpressure",
    category="Composition",
    summary="A bounded asyncio.Queue makes a fast producer wait for a slow consumer.",
    explanation=(
        "The producer makes an item every 'make' seconds, the consumer needs 'work' seconds "
        "per item. With an unbounded queue (pitfall) the producer finishes early and the "
        "items pile up: the queue grows to almost every item (in a real program, memory and "
        "latency grow without limit). With Queue(maxsize) (fixed) the producer's lane shows "
        "waits labelled Queue.put: each time the queue is full it is suspended until the "
        "consumer takes an item, so it never gets more than maxsize items ahead and the two "
        "lanes settle into the consumer's pace."
    ),
    csharp=(
        "C#: Channel.CreateBounded<T>(capacity) with 'await writer.WriteAsync(x)' and "
        "'await foreach (var x in reader.ReadAllAsync())'. Python's asyncio.Queue(maxsize) is "
        "the bounded channel for tasks on one loop (put waits when full, get when empty). "
        "It is not thread-safe: to feed it from a thread use loop.call_soon_threadsafe."
    ),
    main=main,
    check=check,
    params=(Param("items", "items", 8, 3, 16), Param("maxsize", "queue maxsize", 2, 1, 6),
            Param("make", "make per item", 0.05, 0.01, 0.2, 0.01, "s"),
            Param("work", "work per item", 0.25, 0.05, 0.5, 0.05, "s")),
    question=Question(
        "How many items will ever sit in the queue at once?",
        ("at most maxsize", "more than maxsize"),
        _depth_answer,
    ),
)
