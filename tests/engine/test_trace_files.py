"""Native trace files round-trip exactly; malformed files fail with one clear line; the
Chrome export holds tracks, slices and flows for Perfetto."""

from __future__ import annotations

import gzip
import json

import pytest

from loopviz.export import TraceFileError, chrome_events, load_trace, save_trace
from loopviz.session import resolve, run_headless
from loopviz.trace.invariants import violations


@pytest.fixture(scope="module")
def trace():
    return run_headless(resolve("interleaving", None, {"rounds": 2, "pause": 0.05}),
                        loop="asyncio").trace


@pytest.mark.parametrize("name", ["t.loopviz.json", "t.loopviz.json.gz"])
def test_a_saved_trace_loads_back_identical(tmp_path, trace, name):
    loaded = load_trace(save_trace(trace, tmp_path / name))
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


def test_wrong_field_types_and_dangling_references_are_rejected(tmp_path, trace):
    path = save_trace(trace, tmp_path / "t.loopviz.json")
    doc = json.loads(path.read_text())
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
    path = save_trace(trace, tmp_path / "t.loopviz.json.gz")
    doc = json.loads(gzip.decompress(path.read_bytes()))
    doc["meta"]["target"] = "__import__('os').system('touch pwned')"
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    assert load_trace(path).meta["target"].startswith("__import__")
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
