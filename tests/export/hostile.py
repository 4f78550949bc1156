"""Hostile trace files, made from real ones: each case writes a file that loopviz must refuse
with one line (docs/DESIGN.md "Native trace file": the limits), as version 1 JSON (plain or
gzipped) and as version 2 frames where the format can carry it.

``cases(trace)`` gives ``{name: {format: bytes}}``; ``message`` is a piece of the line each
refusal must contain. The bombs are written compressed, in a few MB at most, and inflate to
hundreds: a reader that inflates before it checks would show it in its memory.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import zstandard

from loopviz.export import native_v2
from loopviz.export.framing import MAGIC, encode_frame, read_frames
from loopviz.trace import Trace

V1_FILE = Path(__file__).parent / "data" / "interleaving.v1.loopviz.json.gz"
DEEP = 100_000  # past any recursion limit
Doc = dict[str, Any]


def v1_doc() -> Doc:
    return json.loads(gzip.decompress(V1_FILE.read_bytes()))


def v1_bytes(doc: Doc, text: Callable[[str], str] = lambda s: s) -> bytes:
    return text(json.dumps(doc)).encode()


def v2_bytes(trace: Trace, change: Callable[[Doc, dict], list]) -> bytes:
    """``trace``'s version 2 file, each frame passed through ``change(header, columns)``,
    which returns the frames to write instead: ``(header, columns)`` pairs or raw bytes."""
    out = [MAGIC]
    for frame in read_frames(io.BytesIO(b"".join(native_v2.frames(trace)))):
        for f in change(frame.header, frame.columns):
            out.append(f if isinstance(f, bytes) else encode_frame(*f))
    return b"".join(out)


def raw_frame(head: bytes, declared: int | None = None, filler: int = 0) -> bytes:
    """A frame whose msgpack header is ``head`` as given (nesting msgspec would not write),
    followed by ``filler`` zero bytes; ``declared`` overrides the raw size it claims."""
    body = struct.pack("<I", len(head)) + head
    cctx = zstandard.ZstdCompressor(level=3)
    packed = cctx.compress(body) if not filler else _zeros_frame(body, filler, cctx)
    size = declared if declared is not None else len(body) + filler
    return struct.pack("<II", len(packed), size) + packed


def _zeros_frame(body: bytes, filler: int, cctx: zstandard.ZstdCompressor) -> bytes:
    out = io.BytesIO()
    with cctx.stream_writer(out, closefd=False, size=len(body) + filler) as w:
        w.write(body)
        chunk = bytes(1 << 20)
        for _ in range(filler >> 20):
            w.write(chunk)
    return out.getvalue()


def gzip_bomb(inflated: int) -> bytes:
    """A gzipped JSON trace whose meta holds ``inflated`` bytes of spaces (JSON ignores them)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [c.compress(b'{"format": "loopviz-trace", "version": 1, "meta": {"pad": 0')]
    chunk = b" " * (1 << 20)
    parts += [c.compress(chunk) for _ in range(inflated >> 20)]
    parts.append(c.compress(b"}}") + c.flush())
    return b"".join(parts)


def _meta_change(extra: Callable[[Doc], Doc]) -> Callable[[Doc, dict], list]:
    def change(header: Doc, columns: dict) -> list:
        if header["frame"] == "meta":
            header = extra(header)
        return [(header, columns)]
    return change


def _nested_meta(header: Doc, columns: dict) -> list:
    if header["frame"] != "meta":
        return [(header, columns)]
    head = msgspec.msgpack.encode({**header, "meta": {"x": "@@"}, "columns": []})
    nested = b"\x91" * DEEP + b"\xc0"  # [[[...[None]...]]]
    return [raw_frame(head.replace(msgspec.msgpack.encode("@@"), nested))]


def _rows(name: str, edit: Callable[[list], list]) -> Callable[[Doc, dict], list]:
    """Edit the first rows frame of table ``name`` (added after meta if the trace has none)."""
    done = []

    def change(header: Doc, columns: dict) -> list:
        if header["frame"] == "rows" and name in header and not done:
            done.append(1)
            return [({**header, name: edit(header[name])}, columns)]
        if header["frame"] == "end" and not done:
            return [({"frame": "rows", name: edit([])}, {}), (header, columns)]
        return [(header, columns)]
    return change


def _task_column(column: str, value: Callable[[Any], Any]) -> Callable[[Doc, dict], list]:
    def change(header: Doc, columns: dict) -> list:
        if header["frame"] == "tasks":
            col = columns[column].copy()
            col[-1] = value(col)
            columns = {**columns, column: col}
        return [(header, columns)]
    return change


def _step_column(column: str, value: Callable[[Any], Any]) -> Callable[[Doc, dict], list]:
    def change(header: Doc, columns: dict) -> list:
        if header["frame"] == "steps":
            col = columns[column].copy()
            col[0] = value(col)
            columns = {**columns, column: col}
        return [(header, columns)]
    return change


def _v1_edit(key: str, edit: Callable[[list], None]) -> bytes:
    doc = v1_doc()
    edit(doc[key])
    return v1_bytes(doc)


def _v1_task(field: str, value: Callable[[Doc], Any]) -> bytes:
    def edit(tasks: list) -> None:
        tasks[-1][field] = value(tasks[-1])
    return _v1_edit("tasks", edit)


def _block(line: int = 3, task: int | None = None, start: int = 10, end: int = 20) -> Doc:
    return {"thread": 0, "start_ns": start, "end_ns": end, "file": "x.py", "line": line,
            "function": "f", "stack": [], "task": task, "culprit": "user"}


def _block_row(line: int = 3, task: int | None = None, start: int = 10, end: int = 20) -> list:
    return list(_block(line, task, start, end).values())


def _job(task: int | None, start: int = 10, end: int = 20) -> Doc:
    return {"thread": 0, "task": task, "function": "f", "submitted_ns": 5, "start_ns": start,
            "end_ns": end}


def _diag(task: int | None) -> Doc:
    return {"t_ns": 1, "kind": "blocked-loop", "message": "m", "task": task, "file": "x.py",
            "line": 1, "count": 1}


NO_TASK = 987_654
CASES: dict[str, tuple[str, dict[str, Callable[[Trace], bytes]]]] = {
    "deep nesting": ("nested too deeply", {
        "v1": lambda t: v1_bytes(v1_doc(), lambda s: s.replace(
            '"meta": {', '"meta": {"x": ' + "[" * DEEP + "]" * DEEP + ", ", 1)),
        "v2": lambda t: v2_bytes(t, _nested_meta)}),
    "nesting past the limit": ("nests deeper than", {
        "v1": lambda t: v1_bytes(v1_doc(), lambda s: s.replace(
            '"meta": {', '"meta": {"x": ' + "[" * 200 + "]" * 200 + ", ", 1)),
        "v2": lambda t: v2_bytes(t, _meta_change(
            lambda h: {**h, "meta": {"x": json.loads("[" * 200 + "]" * 200)}}))}),
    "number 1e309": ("out of range", {
        "v1": lambda t: v1_bytes(v1_doc(), lambda s: s.replace(
            '"meta": {', '"meta": {"x": 1e309, ', 1)),
        "v2": lambda t: v2_bytes(t, _meta_change(
            lambda h: {**h, "meta": {**h["meta"], "x": float("inf")}}))}),
    "integer 10**309": ("out of range", {
        "v1": lambda t: _v1_task("created_ns", lambda _: 10 ** 309),
        "v2": lambda t: v2_bytes(t, _rows("blocks", lambda rows: [
            *rows, _block_row(start=2 ** 64 - 1, end=2 ** 64 - 1)]))}),
    "integer of 5000 digits": ("more than 4300 digits", {
        "v1": lambda t: v1_bytes(v1_doc(), lambda s: re.sub(
            r'"created_ns": \d+', '"created_ns": ' + "7" * 5000, s, count=1))}),
    "gzip bomb": ("larger than", {
        "v1.gz": lambda t: gzip_bomb(400 << 20)}),
    "zstd bomb in one frame": ("decompression bomb", {
        "v2": lambda t: v2_bytes(t, lambda h, c: [(h, c)] if h["frame"] != "meta" else [
            (h, c), raw_frame(msgspec.msgpack.encode({"frame": "rows", "columns": []}),
                              filler=200 << 20)])}),
    "zstd bomb in many frames": ("decompression bomb", {
        "v2": lambda t: v2_bytes(t, lambda h, c: [(h, c)] if h["frame"] != "meta" else [
            (h, c), *[raw_frame(msgspec.msgpack.encode({"frame": "rows", "columns": [
                ["pad", "<u1", 16 << 20]]}), filler=16 << 20)] * 40])}),
    "block line 2**62": ("out of range", {
        "v1": lambda t: _v1_edit("blocks", lambda b: b.append(_block(line=2 ** 62))),
        "v2": lambda t: v2_bytes(t, _rows("blocks", lambda rows: [
            *rows, _block_row(line=2 ** 62)]))}),
    "unknown task outcome": ("outcome must be one of result, exception, cancelled, pending", {
        "v1": lambda t: _v1_task("outcome", lambda _: "exploded")}),
    "unknown parent": (f"unknown task {NO_TASK}", {
        "v1": lambda t: _v1_task("parent", lambda _: NO_TASK),
        "v2": lambda t: v2_bytes(t, _task_column("parent", lambda _: NO_TASK))}),
    "unknown task of a job": (f"unknown task {NO_TASK}", {
        "v1": lambda t: _v1_edit("jobs", lambda j: j.append(_job(NO_TASK))),
        "v2": lambda t: v2_bytes(t, _rows("jobs", lambda rows: [
            *rows, list(_job(NO_TASK).values())]))}),
    "unknown task of a block": (f"unknown task {NO_TASK}", {
        "v1": lambda t: _v1_edit("blocks", lambda b: b.append(_block(task=NO_TASK))),
        "v2": lambda t: v2_bytes(t, _rows("blocks", lambda rows: [
            *rows, _block_row(task=NO_TASK)]))}),
    "unknown task of a diagnostic": (f"unknown task {NO_TASK}", {
        "v1": lambda t: _v1_edit("diagnostics", lambda d: d.append(_diag(NO_TASK))),
        "v2": lambda t: v2_bytes(t, _rows("diagnostics", lambda rows: [
            *rows, list(_diag(NO_TASK).values())[:6]]))}),
    "duplicate task id": ("appears twice", {
        "v1": lambda t: _v1_task("id", lambda _: v1_doc()["tasks"][0]["id"]),
        "v2": lambda t: v2_bytes(t, _task_column("id", lambda col: col[0]))}),
    "task ending before it starts": ("ends before it is created", {
        "v1": lambda t: _v1_task("ended_ns", lambda task: task["created_ns"] - 1),
        "v2": lambda t: v2_bytes(t, _task_column("ended_ns", lambda col: -5))}),
    "step of negative duration": ("a step ends before it starts", {
        "v1": lambda t: _v1_edit("steps", lambda s: s[0].update(end_ns=s[0]["start_ns"] - 1)),
        "v2": lambda t: v2_bytes(t, _step_column("end_ns", lambda col: -1))}),
    "block of negative duration": ("ends before it starts", {
        "v1": lambda t: _v1_edit("blocks", lambda b: b.append(_block(start=20, end=10))),
        "v2": lambda t: v2_bytes(t, _rows("blocks", lambda rows: [
            *rows, _block_row(start=20, end=10)]))}),
    "job of negative duration": ("ends before it starts", {
        "v1": lambda t: _v1_edit("jobs", lambda j: j.append(_job(None, start=20, end=10))),
        "v2": lambda t: v2_bytes(t, _rows("jobs", lambda rows: [
            *rows, list(_job(None, start=20, end=10).values())]))}),
    "negative trace duration": ("duration is negative", {
        "v1": lambda t: v1_bytes({**v1_doc(), "meta": {**v1_doc()["meta"], "duration_ns": -1}}),
        "v2": lambda t: v2_bytes(t, _meta_change(lambda h: {**h, "duration_ns": -1}))}),
}


def cases(trace: Trace) -> dict[tuple[str, str], tuple[bytes, str]]:
    """``{(case, format): (file bytes, a piece of its refusal)}``; ``v1`` cases are also
    given gzipped (``v1.gz``), as loopviz wrote them."""
    out = {}
    for name, (message, makers) in CASES.items():
        for fmt, make in makers.items():
            data = make(trace)
            out[name, fmt] = (data, message)
            if fmt == "v1":
                out[name, "v1.gz"] = (gzip.compress(data, 1), message)
    return out
