"""The wire between a served program and its viewers (docs/DESIGN.md "The wire").

One TCP connection per viewer. Both sides first send a fixed preamble that no later version
may change (so that two versions can always tell each other apart in one line):

    preamble = WIRE_MAGIC (8 bytes) + u32 wire version + u8 n + n bytes of loopviz's version

Then frames exactly as in the native trace file (``export.framing``: zstd frames of a
MessagePack header and little-endian numpy columns, under the same limits and checks). The
viewer sends one ``hello`` (its token); the server answers ``welcome`` (the program's meta and
clock) or ``refused`` (a reason) and then streams ``batch`` frames, the first ones being the
buffered recent past, and finally ``end`` (why the stream ends).

A batch carries what the program's Recorder learned since the previous one: row tables
(threads, jobs as upserts by id, wait sites, await edges, callbacks, blocks, diagnostics,
samples, renames), column tables (new tasks; tasks that ended) and the raw step, wake-up and
due-time records as columns. All times are integer ns since the program's trace started, as
in the file. Viewers derive the waits themselves (the same IncrementalBuilder as a local
run), so the program never pays for it. Version 2 (this one) sends tasks as columns, each
once when new and its end once: version 1 sent a row per task, twice, which the program's
serving thread paid for in Python objects.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import numpy as np

from loopviz.export import native_v2
from loopviz.export.framing import (
    Compressor,
    Limits,
    delta_decode,
    delta_encode,
    encode_frame,
)
from loopviz.trace.records import Outcome

WIRE_MAGIC = b"\x89LVW\r\n\x1a\n"  # not the file's LVZ: a stream is never taken for a file
WIRE_VERSION = 2
_FIXED = struct.Struct("<IB")
PREAMBLE_MAX = len(WIRE_MAGIC) + _FIXED.size + 255
# Frames to a viewer: as large as a file's, but a stream may run for days.
STREAM_LIMITS = Limits(max_total_bytes=1 << 62, max_frames=1 << 62, stored=True)
# What a server reads from a viewer before trusting it: one small hello.
HELLO_LIMITS = Limits(max_frame_bytes=64 << 10, max_header_bytes=64 << 10,
                      max_total_bytes=64 << 10, max_frames=1)
ROW_CHUNK = 1 << 13  # rows per table per frame (and made at once: see LazyRows)
COLUMN_CHUNK = 1 << 18  # raw records per frame

Opt = int | None
ROW_TYPES: dict[str, Any] = {
    "threads": native_v2.ROW_TYPES["threads"],
    "sites": list[tuple[str, str, int, str, list[str]]],  # kind, file, line, label, stack
    "tasks": native_v2.ROW_TYPES["tasks"],  # version 1's task rows: still read (old spools)
    "names": list[tuple[int, str]],  # task id, its new name (renamed while it runs)
    "jobs": list[tuple[int, Opt, Opt, str, int, Opt, Opt]],  # id, then the file's job row
    "edges": list[tuple[int, int, list[int]]],  # task, suspended_ns, awaited task ids
    "callbacks": native_v2.ROW_TYPES["callbacks"],
    "blocks": native_v2.ROW_TYPES["blocks"],
    "diagnostics": native_v2.ROW_TYPES["diagnostics"],
    "loop_lag": native_v2.ROW_TYPES["loop_lag"],
    "ui_heartbeat": native_v2.ROW_TYPES["ui_heartbeat"],
}
# column tables: name -> (its numeric columns and dtypes, its text columns and their types);
# tasks: new tasks (parent 0: none); ends: tasks that ended (outcome an index into OUTCOMES)
TABLES: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "tasks": ({"id": "<i8", "parent": "<i8", "created_ns": "<i8", "line": "<i4"},
              {"name": list[str], "coro": list[str], "file": list[str]}),
    "ends": ({"task": "<i8", "ended_ns": "<i8", "outcome": "<u1"},
             {"exception": list[str | None]}),
}
OUTCOMES: tuple[Outcome, ...] = ("result", "exception", "cancelled")
Table = dict[str, Any]  # a column table: column name -> numpy array (numeric) or list (text)
# raw record columns: name -> the columns of its (n, k) int64 array, times in ns since start
RAW = {"steps": ("task", "start_ns", "end_ns", "site"), "wakes": ("task", "ready_ns"),
       "dues": ("task", "at_ns", "due_ns")}


class WireError(ValueError):
    """The other side does not speak this wire, or sent something malformed (one line)."""


class Hello(msgspec.Struct):
    loopviz: str = ""
    token: str | None = None


class Welcome(msgspec.Struct):
    loopviz: str
    pid: int
    now_ns: int
    started_at: str
    keep_last_s: float | None
    interval_s: float
    loop_thread: int
    meta: dict[str, Any]


class Refused(msgspec.Struct):
    reason: str


class End(msgspec.Struct):
    reason: str  # stopped | exited | too-slow | closing
    message: str
    now_ns: int


MESSAGES: dict[str, type[msgspec.Struct]] = {"hello": Hello, "welcome": Welcome,
                                              "refused": Refused, "end": End}


def preamble(version: str, wire: int = WIRE_VERSION) -> bytes:
    raw = version.encode()[:255]
    return WIRE_MAGIC + _FIXED.pack(wire, len(raw)) + raw


def parse_preamble(data: bytes) -> tuple[int, str] | None:
    """(wire version, loopviz version) once ``data`` holds a whole preamble; None while it is
    still short. :class:`WireError` as soon as it cannot be one."""
    head = data[:len(WIRE_MAGIC)]
    if not WIRE_MAGIC.startswith(head):
        raise WireError(f"it began with {_shown(data)}")
    end = len(WIRE_MAGIC) + _FIXED.size
    if len(data) < end:
        return None
    wire, n = _FIXED.unpack_from(data, len(WIRE_MAGIC))
    if len(data) < end + n:
        return None
    return wire, data[end:end + n].decode("utf-8", "replace")


def preamble_size(data: bytes) -> int:
    """The length of the whole preamble at the start of ``data`` (parsed already)."""
    return len(WIRE_MAGIC) + _FIXED.size + data[len(WIRE_MAGIC) + 4]


def _shown(data: bytes) -> str:
    text = data[:40].decode("ascii", "replace").splitlines()[0] if data.strip() else ""
    printable = "".join(c if c.isprintable() else "?" for c in text)
    return repr(printable + "…") if printable.strip() else f"the bytes {data[:8].hex()}"


def message(kind: str, payload: msgspec.Struct,
            compressor: Compressor | None = None) -> bytes:
    return encode_frame({"frame": kind, **msgspec.structs.asdict(payload)}, None, compressor)


def read_message(kind: str, header: dict[str, Any]) -> Any:
    """A control frame's header as its Struct, type-checked; :class:`WireError` otherwise."""
    try:
        return msgspec.convert(header, MESSAGES[kind], strict=True)
    except msgspec.ValidationError as exc:
        raise WireError(f"malformed {kind!r} frame: {exc}") from None


@dataclass(frozen=True, slots=True)
class LazyRows:
    """Rows made only as they are encoded, a chunk at a time: the program's whole buffered
    past would otherwise exist twice on its heap, as its records and as rows.
    ``convert`` gives an item's row, or None to leave it out."""

    items: Sequence[Any]
    convert: Callable[[Any], list[Any] | None]

    def __len__(self) -> int:
        return len(self.items)

    def all(self) -> list[Any]:
        return [row for chunk in self.chunks(ROW_CHUNK) for row in chunk]

    def chunks(self, size: int) -> Iterator[list[Any]]:
        for at in range(0, len(self.items), size):
            rows = [row for item in self.items[at:at + size]
                    if (row := self.convert(item)) is not None]
            if rows:
                yield rows


@dataclass(slots=True)
class Batch:
    """What the program recorded between two moments (or all it holds: ``past``)."""

    now_ns: int
    rows: dict[str, list[Any] | LazyRows] = field(default_factory=dict)
    raw: dict[str, np.ndarray] = field(default_factory=dict)  # RAW name -> (n, k) int64
    dropped_before_ns: int | None = None
    past: bool = False
    tables: dict[str, Table] = field(default_factory=dict)  # TABLES name -> its columns

    def records(self) -> int:
        return sum(len(r) for r in self.rows.values()) + sum(len(a) for a in self.raw.values()) \
            + sum(table_len(t) for t in self.tables.values())


def table_len(table: Table) -> int:
    return len(next(iter(table.values()))) if table else 0


def _table_part(name: str, table: Table, part: slice) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header text, frame columns) of rows ``part`` of column table ``name``."""
    numeric, text = TABLES[name]
    return ({f"{name}.{c}": table[c][part] for c in text},
            {f"{name}.{c}": table[c][part] for c in numeric})


def encode_batch(batch: Batch, compressor: Compressor) -> list[bytes]:
    """The batch as frames: usually one; a large one in chunks, in an order that never names a
    task before its viewer has it: threads and sites, the tasks table, then the other tables
    and rows, then the raw columns."""
    head = batch_head(batch.now_ns, batch.past, batch.dropped_before_ns)
    rows = {name: r for name, r in batch.rows.items() if len(r)}
    raw = {name: a for name, a in batch.raw.items() if len(a)}
    tables = {name: t for name, t in batch.tables.items() if table_len(t)}
    if all(len(r) <= ROW_CHUNK for r in rows.values()) and \
            all(table_len(t) <= ROW_CHUNK for t in tables.values()) and \
            all(len(a) <= COLUMN_CHUNK for a in raw.values()):
        whole = {name: made for name, r in rows.items()
                 if (made := r.all() if isinstance(r, LazyRows) else r)}
        return [batch_frame(head, compressor, whole, tables, raw)]
    first = {name: rows.pop(name) for name in ("threads", "sites") if name in rows}
    frames = [f for table, items in first.items()
              for f in row_frames(head, table, items, compressor)]
    for name, table in tables.items():
        frames += [batch_frame(head, compressor, tables={name: table},
                               part=slice(at, at + ROW_CHUNK))
                   for at in range(0, table_len(table), ROW_CHUNK)]
    for name, items in rows.items():
        frames += row_frames(head, name, items, compressor)
    for name, a in raw.items():
        frames += [batch_frame(head, compressor, raw={name: a[at:at + COLUMN_CHUNK]})
                   for at in range(0, len(a), COLUMN_CHUNK)]
    return frames


def batch_head(now_ns: int, past: bool, dropped_before_ns: int | None) -> dict[str, Any]:
    return {"frame": "batch", "now_ns": now_ns, "past": past,
            "dropped_before_ns": dropped_before_ns}


def batch_frame(head: dict[str, Any], compressor: Compressor,
                rows: dict[str, list[Any]] | None = None, tables: dict[str, Table] | None = None,
                raw: dict[str, np.ndarray] | None = None, part: slice = slice(None)) -> bytes:
    """One batch frame: ``rows``, rows ``part`` of column ``tables``, ``raw`` records."""
    text: dict[str, Any] = {}
    columns = _columns(raw or {})
    for name, table in (tables or {}).items():
        t, c = _table_part(name, table, part)
        text.update(t)
        columns.update(c)
    return encode_frame({**head, "rows": rows or {}, "text": text}, columns, compressor)


def row_frames(head: dict[str, Any], table: str, items: list[Any] | LazyRows,
               compressor: Compressor) -> list[bytes]:
    chunks = items.chunks(ROW_CHUNK) if isinstance(items, LazyRows) else \
        (items[at:at + ROW_CHUNK] for at in range(0, len(items), ROW_CHUNK))
    return [batch_frame(head, compressor, {table: chunk}) for chunk in chunks]


def _columns(raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Times delta-coded (the first absolute, then differences) or relative to the record's
    first time, so that they compress well; ids as they are."""
    out: dict[str, np.ndarray] = {}
    for name, a in raw.items():
        if name == "steps":
            out |= {"steps.task": a[:, 0], "steps.start_ns": delta_encode(a[:, 1]),
                    "steps.end_ns": a[:, 2] - a[:, 1], "steps.site": a[:, 3].astype(np.int32)}
        elif name == "wakes":
            out |= {"wakes.task": a[:, 0], "wakes.ready_ns": delta_encode(a[:, 1])}
        else:
            out |= {"dues.task": a[:, 0], "dues.at_ns": delta_encode(a[:, 1]),
                    "dues.due_ns": a[:, 2] - a[:, 1]}
    return out


def decode_batch(header: dict[str, Any], columns: dict[str, np.ndarray]) -> Batch:
    """A batch frame back, every row table type-checked (msgspec, strictly) and every column
    group whole; :class:`WireError` for anything else."""
    now, dropped = header.get("now_ns"), header.get("dropped_before_ns")
    if type(now) is not int or not (dropped is None or type(dropped) is int):
        raise WireError("malformed batch: now_ns must be an integer")
    tables = header.get("rows", {})
    if not isinstance(tables, dict):
        raise WireError("malformed batch: rows must be a map")
    rows: dict[str, list[Any] | LazyRows] = {}
    for name, items in tables.items():
        if name not in ROW_TYPES:
            raise WireError(f"malformed batch: unknown table {str(name)[:40]!r}")
        try:
            rows[name] = msgspec.convert(items, ROW_TYPES[name], strict=True)
        except msgspec.ValidationError as exc:
            raise WireError(f"malformed batch: {name}: {exc}") from None
    raw: dict[str, np.ndarray] = {}
    groups = {c.partition(".")[0] for c in columns}
    if not groups <= set(RAW) | set(TABLES):
        raise WireError(f"malformed batch: unknown columns "
                        f"{sorted(groups - set(RAW) - set(TABLES))}")
    texts = header.get("text", {})
    if not isinstance(texts, dict) or not {str(k).partition(".")[0] for k in texts} <= groups:
        raise WireError("malformed batch: text must be a map of its tables' columns")
    tables = {name: _table(name, texts, columns) for name in groups & set(TABLES)}
    for name in groups - set(TABLES):
        want = {f"{name}.{c}" for c in RAW[name]}
        if set(c for c in columns if c.startswith(name + ".")) != want:
            raise WireError(f"malformed batch: {name} needs the columns {sorted(want)}")
        if len({len(columns[c]) for c in want}) != 1:
            raise WireError(f"malformed batch: the {name} columns differ in length")
        raw[name] = _raw(name, {c.partition(".")[2]: columns[c].astype(np.int64)
                                for c in want})
    return Batch(now, rows, raw, dropped, bool(header.get("past")), tables)


def _table(name: str, texts: dict[str, Any], columns: dict[str, np.ndarray]) -> Table:
    numeric, text = TABLES[name]
    if {c for c in columns if c.startswith(name + ".")} != {f"{name}.{c}" for c in numeric}:
        raise WireError(f"malformed batch: {name} needs the columns {sorted(numeric)}")
    out: Table = {}
    for c, dtype in numeric.items():
        a = columns[f"{name}.{c}"]
        if a.dtype != np.dtype(dtype):
            raise WireError(f"malformed batch: {name}.{c} must be {dtype}")
        out[c] = a
    for c, kind in text.items():
        try:
            out[c] = msgspec.convert(texts.get(f"{name}.{c}"), kind, strict=True)
        except msgspec.ValidationError as exc:
            raise WireError(f"malformed batch: {name}.{c}: {exc}") from None
    if len({len(v) for v in out.values()}) != 1:
        raise WireError(f"malformed batch: the {name} columns differ in length")
    return out


def _raw(name: str, c: dict[str, np.ndarray]) -> np.ndarray:
    if name == "steps":
        start = delta_decode(c["start_ns"])
        cols = [c["task"], start, start + c["end_ns"], c["site"]]
    elif name == "wakes":
        cols = [c["task"], delta_decode(c["ready_ns"])]
    else:
        at = delta_decode(c["at_ns"])
        cols = [c["task"], at, at + c["due_ns"]]
    return np.stack(cols, axis=1) if len(cols[0]) else np.empty((0, len(cols)), np.int64)
