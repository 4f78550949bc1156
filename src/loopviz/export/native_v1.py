"""Version 1 of the native trace file (docs/DESIGN.md "Native trace file"): JSON, optionally
gzipped, one object per record. loopviz writes version 2 now; this reads the files earlier
versions wrote.

Loading validates every field against the record types and raises :class:`TraceFileError`
with one line for anything that is not a well-formed loopviz trace. Loading never executes
anything: it is ``json.loads`` and type checks.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from loopviz.export.errors import TraceFileError
from loopviz.trace import Block, Callback, Diagnostic, Job, Step, TaskInfo, ThreadInfo, Trace, Wait

FORMAT = "loopviz-trace"
VERSION = 1
_LISTS: dict[str, type] = {
    "threads": ThreadInfo, "tasks": TaskInfo, "steps": Step, "waits": Wait, "blocks": Block,
    "jobs": Job, "callbacks": Callback, "diagnostics": Diagnostic,
}


def load_v1(raw: bytes) -> Trace:
    """A version 1 file's bytes (gzip already undone) as a Trace."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise TraceFileError(f"not a loopviz trace (not JSON: {exc})") from None
    return trace_from_dict(doc)


def trace_from_dict(doc: Any) -> Trace:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise TraceFileError("not a loopviz trace (no 'format: loopviz-trace')")
    if doc.get("version") != VERSION:
        raise TraceFileError(f"unsupported trace version {doc.get('version')!r} "
                             f"(this loopviz reads versions 1 and 2)")
    meta = doc.get("meta")
    if not isinstance(meta, dict):
        raise TraceFileError("corrupt trace: 'meta' must be an object")
    records: dict[str, tuple[Any, ...]] = {}
    for key, cls in _LISTS.items():
        items = doc.get(key)
        if not isinstance(items, list):
            raise TraceFileError(f"corrupt trace: '{key}' must be a list")
        records[key] = tuple(_record(cls, item, key, i) for i, item in enumerate(items))
    samples = doc.get("samples")
    if not isinstance(samples, dict):
        raise TraceFileError("corrupt trace: 'samples' must be an object")
    series = {name: _pairs(samples.get(name, []), name) for name in ("loop_lag", "ui_heartbeat")}
    duration = meta.get("duration_ns", 0)
    if not _is_int(duration):
        raise TraceFileError("corrupt trace: meta.duration_ns must be an integer")
    meta = {k: v for k, v in meta.items() if k != "duration_ns"}
    _check_references(records)
    return Trace(meta=meta, loop_lag=series["loop_lag"], ui_heartbeat=series["ui_heartbeat"],
                 duration_ns=duration, **records)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


_CHECKS = {
    "int": _is_int,
    "int | None": lambda v: v is None or _is_int(v),
    "str": lambda v: isinstance(v, str),
    "str | None": lambda v: v is None or isinstance(v, str),
    "tuple[int, ...]": lambda v: isinstance(v, list) and all(_is_int(x) for x in v),
    "tuple[str, ...]": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "dict[str, float]": lambda v: isinstance(v, dict),
}


def _record(cls: type, item: Any, key: str, index: int) -> Any:
    if not isinstance(item, dict):
        raise TraceFileError(f"corrupt trace: {key}[{index}] must be an object")
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in item:
            if f.default is not dataclasses.MISSING:
                continue
            raise TraceFileError(f"corrupt trace: {key}[{index}] has no '{f.name}'")
        value = item[f.name]
        check = _CHECKS.get(str(f.type))
        if check is not None and not check(value):
            raise TraceFileError(f"corrupt trace: {key}[{index}].{f.name} must be {f.type}, "
                                 f"not {type(value).__name__}")
        kwargs[f.name] = tuple(value) if isinstance(value, list) else value
    return cls(**kwargs)


def _pairs(items: Any, name: str) -> tuple[tuple[int, int], ...]:
    if not isinstance(items, list) or not all(
        isinstance(p, list) and len(p) == 2 and _is_int(p[0]) and _is_int(p[1]) for p in items
    ):
        raise TraceFileError(f"corrupt trace: samples.{name} must be a list of [t_ns, value]")
    return tuple((p[0], p[1]) for p in items)


def _check_references(records: dict[str, tuple[Any, ...]]) -> None:
    task_ids = {t.id for t in records["tasks"]}
    for key in ("steps", "waits"):
        for i, r in enumerate(records[key]):
            if r.task not in task_ids:
                raise TraceFileError(f"corrupt trace: {key}[{i}] names unknown task {r.task}")
    for i, w in enumerate(records["waits"]):
        missing = [t for t in w.targets if t not in task_ids]
        if missing:
            raise TraceFileError(f"corrupt trace: waits[{i}] awaits unknown task {missing[0]}")
