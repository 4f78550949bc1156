"""A newcomer's past (what a served program holds when a viewer attaches late): sent as
columns, a chunk at a time as the viewer takes it, read as of when each chunk is made; and
the wire's version 2 pieces it travels in (column tables, stored frames)."""

from __future__ import annotations

import asyncio
from io import BytesIO

import numpy as np
import pytest

import loopviz
from loopviz.export.framing import (
    DEFAULT_LIMITS,
    FrameError,
    Stored,
    encode_frame,
    read_frames,
)
from loopviz.export.mirror import Mirror
from loopviz.export.wire import STREAM_LIMITS, Batch, WireError, decode_batch
from loopviz.remote import past as past_mod
from loopviz.remote.stream import Streamer
from loopviz.trace.build import build_trace
from loopviz.trace.recorder import Recorder
from tests.remote.test_stream import same_records, welcome


def received(frames) -> list[Batch]:
    """Frames as a viewer reads them off a loopback stream."""
    return [decode_batch(f.header, f.columns)
            for f in read_frames(BytesIO(b"".join(frames)), STREAM_LIMITS)]


async def requests(n: int) -> None:
    async def request(k: int) -> int:
        for _ in range(3):
            await asyncio.sleep(0)
        if k % 50 == 7:
            raise ValueError(f"bad request {k}")
        return k

    await asyncio.gather(*(request(k) for k in range(n)), return_exceptions=True)


def test_a_late_viewer_gets_the_rings_tasks_and_steps_as_columns_a_chunk_at_a_time(
        monkeypatch):
    monkeypatch.setattr(past_mod, "ROW_CHUNK", 64)
    monkeypatch.setattr(past_mod, "RAW_CHUNK", 100)

    async def main():
        with loopviz.record() as recording:
            await requests(300)
        return recording

    recording = asyncio.run(main())
    rec = recording.recorder
    streamer = Streamer(rec)
    streamer.skip()
    frames = streamer.past(rec.now()).frames(Stored())
    batches = received(frames)
    kinds = ["tasks" if "tasks" in b.tables else "steps" if "steps" in b.raw else "other"
             for b in batches]
    assert kinds.count("tasks") == 5 and kinds.count("steps") >= 12, "in chunks"
    assert max(i for i, k in enumerate(kinds) if k == "tasks") < kinds.index("steps"), \
        "every task before any record that names it"
    assert all(isinstance(b.tables["tasks"]["id"], np.ndarray) for b in batches
               if "tasks" in b.tables) and not any("tasks" in b.rows for b in batches)
    assert all(b.past for b in batches)
    late = Mirror(welcome(rec), "test")
    for batch in batches:
        late.apply(batch)
    late.finish("done")
    late.recorder.finished_ns = late.recorder.t0 + (rec.finished_ns - rec.t0)
    seen, own = build_trace(late.recorder), build_trace(rec)
    same_records(seen, own)
    assert sum(t.outcome == "exception" for t in seen.tasks) == 6
    # The program's own names (CPython 3.13.0 names every task a factory made "None": its
    # create_task calls set_name(None), with or without loopviz).
    assert len(seen.tasks) >= 300
    assert sorted(t.name for t in seen.tasks) == sorted(t.name for t in own.tasks)


def test_the_past_is_read_as_it_is_taken_so_a_task_that_ended_since_comes_ended():
    async def main():
        release = asyncio.Event()

        async def waiter() -> str:
            await release.wait()
            return "done"

        with loopviz.record() as recording:
            rec = recording.recorder
            tasks = [asyncio.create_task(waiter(), name=f"waiter-{k}") for k in range(5)]
            await asyncio.sleep(0.01)
            streamer = Streamer(rec)
            streamer.skip()
            frames = streamer.past(rec.now()).frames(Stored())  # captured, nothing made yet
            release.set()
            await asyncio.gather(*tasks)
            batches = received(frames)
        return batches, streamer

    batches, streamer = asyncio.run(main())
    ends = {tid: code for b in batches if "ends" in b.tables
            for tid, code in zip(b.tables["ends"]["task"].tolist(),
                                 b.tables["ends"]["outcome"].tolist(), strict=True)}
    named = {tid: name for b in batches if "tasks" in b.tables
             for tid, name in zip(b.tables["tasks"]["id"].tolist(), b.tables["tasks"]["name"],
                                  strict=True)}
    waiters = [tid for tid, name in named.items() if name.startswith("waiter-")]
    assert len(waiters) == 5 and all(ends.get(t) == 0 for t in waiters), "sent as ended"
    assert not set(waiters) & set(streamer.live), "nothing left to send later"


def test_newcomers_of_one_tick_share_one_past_each_frame_made_once():
    made = []

    def frames():
        for k in range(5):
            made.append(k)
            yield f"frame {k}".encode()

    shared = past_mod.Shared(frames(), readers=2)
    first = [shared.take(0) for _ in range(3)]
    assert made == [0, 1, 2]
    second = [shared.take(1) for _ in range(6)]
    rest = [shared.take(0) for _ in range(3)]
    assert made == [0, 1, 2, 3, 4], "each frame made once, for both"
    assert first + rest == second == [f"frame {k}".encode() for k in range(5)] + [None]
    assert not shared._made, "a frame both took is let go"


def test_a_stored_frame_is_read_from_a_live_stream_and_refused_in_a_file():
    frame = encode_frame({"frame": "batch", "now_ns": 5}, {"steps.task": np.arange(3)},
                         Stored())
    got = next(read_frames(BytesIO(frame), STREAM_LIMITS))
    assert got.header["now_ns"] == 5 and got.columns["steps.task"].tolist() == [0, 1, 2]
    with pytest.raises(FrameError, match="uncompressed frame, which only a live stream"):
        next(read_frames(BytesIO(frame), DEFAULT_LIMITS))


@pytest.mark.parametrize(("text", "columns", "problem"), [
    ({"ends.exception": [None]}, {"ends.task": [1], "ends.ended_ns": [5],
                                  "ends.outcome": np.array([7], np.uint8)}, "end out of range"),
    ({"ends.exception": [None, None]}, {"ends.task": [1], "ends.ended_ns": [5],
                                        "ends.outcome": np.array([0], np.uint8)},
     "differ in length"),
    ({"tasks.name": ["a"], "tasks.coro": ["c"], "tasks.file": ["f"]},
     {"tasks.id": [0], "tasks.parent": [0], "tasks.created_ns": [1],
      "tasks.line": np.array([1], np.int32)}, "task id out of range"),
    ({"tasks.name": [3], "tasks.coro": ["c"], "tasks.file": ["f"]},
     {"tasks.id": [1], "tasks.parent": [0], "tasks.created_ns": [1],
      "tasks.line": np.array([1], np.int32)}, "tasks.name"),
])
def test_a_malformed_task_table_is_one_line_never_a_crash(text, columns, problem):
    cols = {k: np.asarray(v, np.int64) if isinstance(v, list) else v for k, v in columns.items()}
    frame = next(read_frames(BytesIO(encode_frame(
        {"frame": "batch", "now_ns": 1, "rows": {}, "text": text}, cols, Stored())),
        STREAM_LIMITS))
    mirror = Mirror(welcome(Recorder()), "test")
    with pytest.raises(WireError, match=problem):
        mirror.apply(decode_batch(frame.header, frame.columns))


def test_an_end_or_a_rename_of_a_task_never_received_is_left_out():
    mirror = Mirror(welcome(Recorder()), "test")
    mirror.apply(Batch(10, {"names": [[4, "renamed"]]}, tables={"ends": {
        "task": np.array([4]), "ended_ns": np.array([9]), "outcome": np.array([0], np.uint8),
        "exception": [None]}}))
    assert mirror.recorder.tasks == {}
