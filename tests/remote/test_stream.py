"""A viewer's trace is the program's own: what the Streamer sends, encoded and decoded as on the
wire, rebuilds in a Mirror into the trace the program itself would build, whether the viewer
followed from the start or attached halfway (its snapshot plus the deltas after it)."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import zstandard

import loopviz
from loopviz.export.framing import encode_frame
from loopviz.export.mirror import Mirror
from loopviz.export.wire import Batch, Welcome, decode_batch, encode_batch
from loopviz.recording import Recording
from loopviz.remote.stream import Streamer
from loopviz.trace import Recorder
from loopviz.trace.build import build_trace
from loopviz.trace.invariants import violations


def wire(batch: Batch) -> list[Batch]:
    """The batch as a viewer receives it: encoded to frames, each decoded."""
    return decoded(encode_batch(batch, zstandard.ZstdCompressor()))


def decoded(frames) -> list[Batch]:
    from io import BytesIO

    from loopviz.export.framing import read_frames

    return [decode_batch(f.header, f.columns)
            for f in read_frames(BytesIO(b"".join(frames)))]


def past(streamer: Streamer) -> list[Batch]:
    """A newcomer's past as it receives it (made as the server makes it, a frame at a time)."""
    return decoded(list(streamer.past(streamer.rec.now()).frames(zstandard.ZstdCompressor())))


def welcome(rec) -> Welcome:
    keep = rec.keep_last_ns
    return Welcome("test", os.getpid(), rec.now(), rec.started_at,
                   None if keep is None else keep / 1e9, 0.02, rec.loop_thread, dict(rec.meta))


async def busy_program() -> None:
    """Tasks of every kind of wait: sleeps, gather, a queue, a thread, an error, a cancel."""
    queue: asyncio.Queue[int] = asyncio.Queue()

    async def producer() -> None:
        for i in range(30):
            await queue.put(i)
            await asyncio.sleep(0.003)

    async def consumer() -> None:
        for _ in range(30):
            await queue.get()

    async def fails() -> None:
        await asyncio.sleep(0.01)
        raise ValueError("boom")

    async def forever() -> None:
        await asyncio.sleep(60)

    victim = asyncio.create_task(forever(), name="victim")
    for round_ in range(4):
        await asyncio.gather(producer(), consumer(), asyncio.to_thread(time.sleep, 0.005),
                             *(asyncio.sleep(0.001 * k) for k in range(8)))
        failing = asyncio.create_task(fails(), name=f"fails-{round_}")
        await asyncio.wait([failing])
        failing.exception()
    victim.cancel()
    await asyncio.sleep(0.01)


class Tap:
    """Collects from a Streamer on its own thread (as the server does), feeding a follower
    from the start and a newcomer that attaches after ``join_after`` collects."""

    def __init__(self, rec, join_after: int) -> None:
        self.rec = rec
        self.streamer = Streamer(rec)
        self.follower = Mirror(welcome(rec), "test")
        self.newcomer: Mirror | None = None
        self.join_after = join_after
        self.collects = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def tick(self) -> None:
        self.streamer.trim(0.0)  # as the server does, about once a second
        if self.collects == 0:  # the follower's first batches are the past (empty yet)
            self.streamer.skip()
            for batch in past(self.streamer):
                self.follower.apply(batch)
            self.collects += 1
            return
        joining = self.newcomer is None and self.collects >= self.join_after
        for batch in wire(self.streamer.collect(self.rec.now())):
            self.follower.apply(batch)
            if self.newcomer is not None:
                self.newcomer.apply(batch)
        if joining:
            self.newcomer = Mirror(welcome(self.rec), "test")
            for batch in past(self.streamer):
                self.newcomer.apply(batch)
        self.collects += 1

    def run(self) -> None:
        while not self.stop.is_set():
            self.tick()
            time.sleep(0.01)
        self.tick()


def record_tapped(join_after: int, keep_last: float | None = None):
    async def main():
        with loopviz.record(keep_last=keep_last) as recording:
            tap = Tap(recording.recorder, join_after)
            tap.thread.start()
            await busy_program()
        tap.stop.set()
        tap.thread.join()
        return recording, tap

    recording, tap = asyncio.run(main())
    for mirror in (tap.follower, tap.newcomer):
        if mirror is None:
            continue
        mirror.finish("done")
        mirror.recorder.finished_ns = mirror.recorder.t0 + \
            (recording.recorder.finished_ns - recording.recorder.t0)
    return build_trace(recording.recorder), tap


def same_records(a, b) -> None:
    assert [(t.id, t.name, t.coro, t.parent, t.created_ns, t.ended_ns, t.outcome, t.exception)
            for t in a.tasks] == [(t.id, t.name, t.coro, t.parent, t.created_ns, t.ended_ns,
                                   t.outcome, t.exception) for t in b.tasks]
    assert list(a.steps) == list(b.steps)
    assert list(a.waits) == list(b.waits)
    assert a.jobs == b.jobs and a.callbacks == b.callbacks and a.loop_lag == b.loop_lag
    assert a.blocks == b.blocks and a.diagnostics == b.diagnostics and a.threads == b.threads


def test_a_viewer_following_from_the_start_rebuilds_the_programs_own_trace() -> None:
    own, tap = record_tapped(join_after=10**9)
    seen = build_trace(tap.follower.recorder)
    assert tap.collects > 5, "the program ran long enough to be streamed in several batches"
    assert {t.outcome for t in own.tasks} >= {"result", "exception", "cancelled"}
    assert own.jobs and any(w.kind == "queue" for w in own.waits)
    same_records(seen, own)
    assert violations(seen) == []


def test_a_viewer_attaching_halfway_gets_the_past_then_the_same_as_a_follower() -> None:
    own, tap = record_tapped(join_after=8)
    late = build_trace(tap.newcomer.recorder)
    same_records(late, own)
    same_records(build_trace(tap.follower.recorder), own)


def test_behind_a_ring_buffer_a_late_viewer_gets_only_the_last_seconds() -> None:
    own, tap = record_tapped(join_after=20, keep_last=0.05)
    late = build_trace(tap.newcomer.recorder)
    assert violations(late) == []
    assert 0 < len(late.steps) < len(build_trace(tap.follower.recorder).steps)
    joined_at = tap.newcomer.served["attached_ns"]
    assert int(late.steps.end_ns.min()) >= joined_at - 0.05e9 - 0.03e9  # the window, roughly
    assert {(s.task, s.start_ns) for s in late.steps} <= {(s.task, s.start_ns)
                                                          for s in own.steps} | \
        {(s.task, s.start_ns) for s in build_trace(tap.follower.recorder).steps}


def test_a_batch_too_large_for_one_frame_sends_its_tasks_before_its_columns(monkeypatch):
    import numpy as np

    from loopviz.export import wire as wire_mod

    monkeypatch.setattr(wire_mod, "ROW_CHUNK", 2)
    monkeypatch.setattr(wire_mod, "COLUMN_CHUNK", 3)
    tasks = {"id": np.array([1, 2, 3]), "parent": np.array([0, 1, 1]),
             "created_ns": np.array([0, 5, 6]), "line": np.array([1, 2, 3], np.int32),
             "name": ["a", "b", "c"], "coro": ["c"] * 3, "file": ["f.py"] * 3}
    steps = np.array([[1 + i % 3, 10 * i, 10 * i + 5, -1] for i in range(7)], np.int64)
    batch = Batch(100, {}, {"steps": steps}, tables={"tasks": tasks})
    frames = encode_batch(batch, zstandard.ZstdCompressor())
    got = wire(batch)
    assert len(frames) == len(got) == 2 + 3
    kinds = ["tasks" if "tasks" in b.tables else "raw" for b in got]
    assert kinds == ["tasks", "tasks", "raw", "raw", "raw"]
    assert [n for b in got[:2] for n in b.tables["tasks"]["name"]] == ["a", "b", "c"]
    assert np.array_equal(np.concatenate([b.raw["steps"] for b in got[2:]]), steps)
    assert encode_frame  # the same container as the file


def test_a_running_task_is_sent_again_only_once_it_ended_or_was_renamed() -> None:
    async def main():
        release = asyncio.Event()

        async def waiter() -> None:
            await release.wait()

        with loopviz.record() as recording:
            rec = recording.recorder
            streamer, follower = Streamer(rec), Mirror(welcome(rec), "test")

            def tick(now_ns: int) -> list[int]:
                """The ids of the tasks this tick sends: new, ended or renamed."""
                delta = streamer.collect(now_ns)
                for batch in wire(delta):
                    follower.apply(batch)
                return [*delta.tables["tasks"]["id"].tolist(),
                        *delta.tables["ends"]["task"].tolist(),
                        *(tid for tid, _ in delta.rows["names"])]

            tasks = [asyncio.create_task(waiter(), name=f"waiter-{k}") for k in range(50)]
            await asyncio.sleep(0.01)
            first = tick(1)
            assert len(first) >= 50, "new tasks are sent"
            await asyncio.sleep(0.01)
            assert tick(2) == [], "running ones are not sent again every tick"
            tasks[7].set_name("renamed")
            assert tick(3) == [], "a rename waits for the next look (about once a second)"
            again = tick(3 + 1_000_000_000)
            assert again == [rec_id(follower, "renamed")]
            release.set()
            await asyncio.gather(*tasks)
            ended = tick(4 + 1_000_000_000)
            assert len(ended) >= 50, "and every one once it has ended"
        return follower

    follower = asyncio.run(main())
    names = {e.name: e for e in follower.recorder.tasks.values()}
    assert names["renamed"].outcome == "result" and "waiter-7" not in names


def rec_id(mirror: Mirror, name: str) -> int:
    return next(t for t, e in mirror.recorder.tasks.items() if e.name == name)


def test_the_serving_threads_ring_trim_leaves_a_finished_recording_alone():
    # A finished recording's final build borrows its raw columns outside the lock (raw_all);
    # the serving thread's periodic trim must not resize them meanwhile (it raised
    # "BufferError: cannot resize an array that is exporting buffers" there).
    rec = Recorder(keep_last_s=0.05)

    async def main():
        recording = Recording(probes=False, recorder=rec, diagnostics=False).start()

        async def ticker():
            for _ in range(20):
                await asyncio.sleep(0)

        await asyncio.gather(*(ticker() for _ in range(20)))
        return recording

    recording = asyncio.run(main())
    streamer = Streamer(rec)
    recording.detach()  # finished: what a served program's stop leaves
    with rec.lock:
        lent = rec.raw_all()
    steps = len(lent[0])
    time.sleep(0.1)  # past the ring's window
    streamer.trim(0)
    assert len(lent[0]) == steps and steps > 0
