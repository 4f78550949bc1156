"""Native trace files round-trip exactly; version 1 files still open; malformed files fail
with one clear line; the Chrome export holds tracks, slices and flows for Perfetto."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from loopviz.export import TraceFileError, chrome_events, load_trace, native_v2, save_trace
from loopviz.export.framing import MAGIC, Limits, encode_frame, read_frames
from loopviz.session import resolve, run_headless
from loopviz.trace import Step, TaskInfo, Trace, Wait
from loopviz.trace.invariants import violations

V1_FILE = Path(__file__).parent / "data" / "interleaving.v1.loopviz.json.gz"


@pytest.fixture(scope="module")
def trace():
    return run_headless(resolve("interleaving", None, {"rounds": 2, "pause": 0.05}),
                        loop="asyncio").trace


@pytest.mark.parametrize("name", ["t.loopviz", "t.loopviz.json.gz"])
def test_a_saved_trace_loads_back_identical(tmp_path, trace, name):
    path = save_trace(trace, tmp_path / name)
    assert path.read_bytes()[:len(MAGIC)] == MAGIC  # version 2, whatever the name says
    loaded = load_trace(path)
    for key in ("tasks", "steps", "waits", "blocks", "jobs", "callbacks", "diagnostics",
                "threads", "loop_lag", "ui_heartbeat", "duration_ns"):
        assert getattr(loaded, key) == getattr(trace, key), key
    assert loaded.meta["target"] == "interleaving"
    assert violations(loaded) == []


CORRUPTIONS = {
    "not json": (b"\x00\x01 not json", "not JSON"),
    "other json": (b'{"hello": "world"}', "not a loopviz trace"),
    "future version": (b'{"format": "loopviz-trace", "version": 99}', "unsupported trace version"),
    "bad gzip": (b"\x1f\x8b\x08garbage", "corrupt gzip"),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_malformed_files_raise_one_clear_line(tmp_path, case):
    data, message = CORRUPTIONS[case]
    path = tmp_path / "x.loopviz.json"
    path.write_bytes(data)
    with pytest.raises(TraceFileError) as info:
        load_trace(path)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_version_1_file_still_opens():
    trace = load_trace(V1_FILE)
    assert trace.meta["target"] == "interleaving" and len(trace.steps) > 0
    assert trace.waits_of(trace.tasks_named("main")[0].id) and violations(trace) == []


def rewritten(trace: Trace, change) -> bytes:
    """``trace``'s version 2 file with each frame passed through ``change`` (-> frames)."""
    out = [MAGIC]
    for frame in read_frames(io.BytesIO(b"".join(native_v2.frames(trace)))):
        out += [encode_frame(h, c) for h, c in change(frame.header, frame.columns)]
    return b"".join(out)


def test_a_version_2_file_listing_its_tasks_as_rows_still_opens(tmp_path, trace):
    """Files saved before tasks had frames of their own list them in a 'rows' table."""
    rows = [[t.id, t.name, t.coro, t.parent, t.created_ns, t.ended_ns, t.outcome, t.exception,
             t.file, t.line] for t in trace.tasks]

    def tasks_as_rows(header, columns):
        if header["frame"] == "tasks":
            return []
        if header["frame"] == "meta":
            return [(header, columns), ({"frame": "rows", "tasks": rows}, {})]
        return [(header, columns)]

    path = tmp_path / "old.loopviz"
    path.write_bytes(rewritten(trace, tasks_as_rows))
    loaded = load_trace(path)
    assert loaded.tasks == trace.tasks and loaded.steps == trace.steps


def test_a_tasks_frame_naming_strings_it_does_not_have_fails_with_one_line(tmp_path, trace):
    def bad_outcome(header, columns):
        if header["frame"] == "tasks":
            columns = {**columns, "outcome": columns["outcome"] + 99}
        return [(header, columns)]

    path = tmp_path / "bad.loopviz"
    path.write_bytes(rewritten(trace, bad_outcome))
    with pytest.raises(TraceFileError, match="a task's outcome is out of range"):
        load_trace(path)


def test_a_version_2_file_cut_short_or_damaged_fails_with_one_line(tmp_path, trace):
    data = save_trace(trace, tmp_path / "t.loopviz").read_bytes()
    cases = {"cut.loopviz": (data[:-3], "truncated"),
             "flipped.loopviz": (data[:40] + bytes(b ^ 0x5A for b in data[40:60]) + data[60:],
                                 "corrupt")}
    for name, (damaged, message) in cases.items():
        (tmp_path / name).write_bytes(damaged)
        with pytest.raises(TraceFileError) as info:
            load_trace(tmp_path / name)
        assert message in str(info.value) and "\n" not in str(info.value), name


def test_a_file_declaring_more_than_the_limits_is_refused_before_it_is_read(tmp_path, trace):
    path = save_trace(trace, tmp_path / "t.loopviz")
    with pytest.raises(TraceFileError, match="larger than the limit"):
        load_trace(path, Limits(max_frame_bytes=64))


def test_version_2_rejects_dangling_references_and_backward_intervals(tmp_path):
    task = TaskInfo(1, "a", "f", None, 0, 10, "result", None, "a.py", 1)
    bad = {
        "unknown task 7": {"tasks": (task,), "steps": (Step(7, 0, 1, 0),)},
        "a task id appears twice": {"tasks": (task, task)},
        "ends before it starts": {"tasks": (task,), "waits": (
            Wait(1, 5, None, None, 2, "sleep", (), "", "a.py", 2),)},
        "awaits unknown task 9": {"tasks": (task,), "waits": (
            Wait(1, 5, None, None, None, "task", (9,), "", "a.py", 2),)},
    }
    for message, records in bad.items():
        path = save_trace(Trace({}, duration_ns=10, **records), tmp_path / "bad.loopviz")
        with pytest.raises(TraceFileError, match=message):
            load_trace(path)


def test_wrong_field_types_and_dangling_references_are_rejected(tmp_path):
    path = tmp_path / "t.loopviz.json"
    doc = json.loads(gzip.decompress(V1_FILE.read_bytes()))
    doc["steps"][0]["start_ns"] = "soon"
    path.write_text(json.dumps(doc))
    with pytest.raises(TraceFileError, match=r"steps\[0\]\.start_ns must be int"):
        load_trace(path)
    doc["steps"][0]["start_ns"] = 0
    doc["steps"][0]["task"] = 999_999
    path.write_text(json.dumps(doc))
    with pytest.raises(TraceFileError, match="unknown task 999999"):
        load_trace(path)


def test_loading_never_executes_anything(tmp_path, trace):
    path = tmp_path / "t.loopviz.json.gz"
    doc = json.loads(gzip.decompress(V1_FILE.read_bytes()))
    doc["meta"]["target"] = "__import__('os').system('touch pwned')"
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    assert load_trace(path).meta["target"].startswith("__import__")
    v2 = Trace({**trace.meta, "target": "__import__('os').system('touch pwned')"})
    assert load_trace(save_trace(v2, tmp_path / "t.loopviz")).meta["target"].startswith("__")
    assert not (tmp_path / "pwned").exists()


def test_chrome_export_has_task_tracks_slices_and_await_flows(trace):
    events = chrome_events(trace)
    names = {e["args"]["name"] for e in events if e.get("name") == "thread_name"}
    assert any(n.startswith("worker-1") for n in names)
    slices = [e for e in events if e["ph"] == "X"]
    assert {e["cat"] for e in slices} >= {"running", "wait.sleep", "wait.task"}
    starts = [e for e in events if e["ph"] == "s"]
    ends = [e for e in events if e["ph"] == "f"]
    assert starts and len(starts) == len(ends) == len(trace.await_edges())


def test_exporting_a_saved_file_streams_the_same_events_as_the_loaded_trace(tmp_path, trace,
                                                                            monkeypatch):
    from loopviz.export import chrome, export_chrome_trace, native_v2

    monkeypatch.setattr(native_v2, "CHUNK", 3)  # many frames: the export reads them in turn
    monkeypatch.setattr(chrome, "CHUNK", 5)
    path = save_trace(trace, tmp_path / "t.loopviz")
    out = export_chrome_trace(path, tmp_path / "t.json")
    streamed = json.loads(out.read_text())
    assert streamed["traceEvents"] == json.loads(json.dumps(chrome_events(load_trace(path))))
    assert len(trace.steps) > 3 and len(trace.waits) > 3


def test_a_gather_of_many_tasks_is_exported_in_bounded_batches(monkeypatch):
    """Each of a gather's children is a flow (two events): a gather of 200,000 tasks must be
    written a batch at a time, not held whole, so the export's memory stays bounded."""
    import asyncio

    import loopviz
    from loopviz.export import chrome
    from loopviz.session import close_loop, new_loop

    async def program():
        await asyncio.gather(*(asyncio.sleep(0) for _ in range(300)))

    loop = new_loop("asyncio")
    try:
        with loopviz.record(loop, probes=False) as rec:
            loop.run_until_complete(program())
    finally:
        close_loop(loop)
    trace = rec.trace
    [gather] = [w for w in trace.waits if len(w.targets) == 300]
    monkeypatch.setattr(chrome, "CHUNK", 50)
    batches = list(chrome.iter_chrome_events(trace))
    assert max(map(len, batches)) <= 2 * 50  # a chunk of steps is two events a step
    flows = [e for b in batches for e in b if e["ph"] == "f" and e["tid"] in gather.targets]
    assert sorted(e["tid"] for e in flows) == sorted(gather.targets)


def test_a_bad_frame_met_while_exporting_fails_with_one_line_and_leaves_no_file(tmp_path, trace):
    from loopviz.export import export_chrome_trace

    def unknown_task(header, columns):
        if header["frame"] == "waits":
            columns = {**columns, "task": columns["task"] + 10_000}
        return [(header, columns)]

    path = tmp_path / "bad.loopviz"
    path.write_bytes(rewritten(trace, unknown_task))
    with pytest.raises(TraceFileError, match="a wait names unknown task") as info:
        export_chrome_trace(path, tmp_path / "out.json")
    assert "\n" not in str(info.value) and str(path) in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.loopviz"]
