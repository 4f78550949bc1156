"""Async streams: an async generator yields items one at a time and ``async for`` handles each
as it arrives, so fetching and handling alternate item by item. Collecting the whole stream
into a list first makes the first item wait for the last one."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

from loopviz.demos.base import FIXED, PITFALL, Demo, Param, Question
from loopviz.demos.evidence import source_line
from loopviz.trace import Finding, Trace, Wait
from loopviz.trace.wording import duration


async def readings(count: int, fetch: float) -> AsyncIterator[int]:
    """The producer: an async generator. Each item costs one await (a page, a sensor read)."""
    for n in range(count):
        await asyncio.sleep(fetch)  # fetch the next item
        yield n


async def handle(item: int, work: float) -> None:
    await asyncio.sleep(work)  # store or show the item


async def consume(variant: str, count: int, fetch: float, work: float) -> int:
    handled = 0
    if variant == PITFALL:
        # Collect everything first: nothing is handled until the whole stream is read.
        items = [item async for item in readings(count, fetch)]  # stream: fetch all
        for item in items:
            await handle(item, work)  # stream: handle
            handled += 1
    else:
        # Pull one item, handle it, pull the next: the generator pauses at its yield.
        async for item in readings(count, fetch):  # stream: fetch one
            await handle(item, work)  # stream: handle
            handled += 1
    return handled


async def main(variant: str, items: int = 5, fetch: float = 0.2, work: float = 0.2) -> int:
    return await asyncio.create_task(consume(variant, items, fetch, work), name="consumer")


def _phases(trace: Trace, variant: str) -> tuple[list[str], list[Wait]]:
    """The consumer's waits, each tagged 'fetch' or 'handle' by the line it is suspended at."""
    (consumer,) = trace.tasks_named("consumer")
    fetch_marker = "stream: fetch all" if variant == PITFALL else "stream: fetch one"
    fetch_line = source_line(consume, fetch_marker)[1]
    handle_line = source_line(handle, "await asyncio.sleep")[1]
    waits = trace.waits_of(consumer.id)
    tags = ["fetch" if w.line in (fetch_line, source_line(readings, "await")[1])
            else "handle" if w.line == handle_line else "?" for w in waits]
    return tags, waits


def check(trace: Trace, variant: str, items: int = 5, fetch: float = 0.2,
          work: float = 0.2) -> list[Finding]:
    tags, waits = _phases(trace, variant)
    first_handle = next((w for t, w in zip(tags, waits, strict=True) if t == "handle"), None)
    first_at = first_handle.start_ns if first_handle else trace.duration_ns
    switches = sum(1 for a, b in itertools.pairwise(tags) if a != b)
    data = {"fetches": tags.count("fetch"), "handles": tags.count("handle"),
            "switches": switches, "first_handled_s": first_at / 1e9}
    counts_ok = tags.count("fetch") == items and tags.count("handle") == items
    if variant == FIXED:
        return [Finding(
            f"item by item: {items} fetches and {items} handlings alternated on the consumer "
            f"({switches} switches); the first item was being handled at {duration(first_at)}",
            ok=counts_ok and switches == 2 * items - 1, data=data)]
    return [Finding(
        f"all {tags.count('fetch')} items were fetched before the first was handled, at "
        f"{duration(first_at)} ({first_at / (fetch * 1e9):.1f} × one fetch)",
        ok=counts_ok and switches == 1, data=data)]


def _first_answer(trace: Trace, variant: str, items: int = 5, fetch: float = 0.2,
                  work: float = 0.2) -> int:
    tags, _ = _phases(trace, variant)
    return 0 if tags[:2] == ["fetch", "handle"] else 1


DEMO = Demo(
    id="async-stream",
    title="Async streams, item by item",
    category="Composition",
    summary="async for pulls one item at a time from an async generator: no waiting for all.",
    explanation=(
        "readings() is an async generator: it awaits a fetch, yields one item, and pauses at "
        "the yield until the consumer asks for the next. With async for (fixed) the consumer "
        "lane alternates fetch, handle, fetch, handle: the first item is handled after one "
        "fetch. Collecting the stream into a list first (pitfall) shows all the fetch waits "
        "back to back, then all the handling: the first result appears only after the last "
        "fetch, and every item sits in memory meanwhile. Both run in one task: a generator is "
        "not a task, its steps are the consumer's steps."
    ),
    csharp=(
        "C#: 'async IAsyncEnumerable<T>' with 'yield return', consumed by 'await foreach'. "
        "Python: 'async def' with 'yield' makes an async generator, consumed by 'async for'; "
        "[x async for x in gen()] is the ToListAsync() that gives streaming up. Cancellation "
        "flows through the consuming task instead of an [EnumeratorCancellation] token."
    ),
    main=main,
    check=check,
    params=(Param("items", "items", 5, 2, 10),
            Param("fetch", "fetch per item", 0.2, 0.05, 0.5, 0.05, "s"),
            Param("work", "handling per item", 0.2, 0.05, 0.5, 0.05, "s")),
    question=Question(
        "When is the first item handled?",
        ("right after it is fetched", "after every item is fetched"),
        _first_answer,
    ),
)
