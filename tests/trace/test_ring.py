"""The ring buffer keeps only the last N seconds of a run, and says so."""

from __future__ import annotations

import asyncio

import loopviz
from loopviz.export import load_trace, save_trace
from loopviz.trace.invariants import violations


async def ticking(seconds: float) -> None:
    async def worker(n: int) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            await asyncio.sleep(0.002 * n)

    await asyncio.gather(*(worker(n) for n in (1, 2, 3)))
    for _ in range(20):  # short tasks that end early: the window drops them
        await asyncio.create_task(asyncio.sleep(0))


def record(keep_last: float | None, seconds: float):
    async def main():
        with loopviz.record(keep_last=keep_last) as rec:
            await ticking(seconds)
        return rec.trace

    return asyncio.run(main())


def test_a_ring_buffered_trace_holds_only_the_last_seconds_and_says_so(tmp_path) -> None:
    full, ring = record(None, 0.6), record(0.2, 0.6)
    cut = ring.meta["ring_buffer"]["dropped_before_ns"]
    assert ring.meta["ring_buffer"]["keep_last_s"] == 0.2
    assert ring.duration_ns - 0.25e9 <= cut <= ring.duration_ns - 0.15e9
    assert len(ring.steps) and int(ring.steps.end_ns.min()) >= cut
    assert len(ring.steps) < len(full.steps) / 2
    assert ring.summary()["ring_buffer"] == ring.meta["ring_buffer"]
    assert "ring_buffer" not in full.meta
    loaded = load_trace(save_trace(ring, tmp_path / "ring.loopviz"))
    assert list(loaded.waits) == list(ring.waits) and violations(loaded) == []
