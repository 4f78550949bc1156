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
import sys
from collections.abc import Callable
from typing import Any

from loopviz.export.checks import check_bulk, check_records, in_range, thread_ids
from loopviz.export.errors import TraceFileError
from loopviz.trace import Block, Callback, Diagnostic, Job, Step, TaskInfo, ThreadInfo, Trace, Wait
from loopviz.trace.records import OUTCOMES, THREAD_ROLES, WAIT_KINDS

FORMAT = "loopviz-trace"
VERSION = 1
_LISTS: dict[str, type] = {
    "threads": ThreadInfo, "tasks": TaskInfo, "steps": Step, "waits": Wait, "blocks": Block,
    "jobs": Job, "callbacks": Callback, "diagnostics": Diagnostic,
}


def load_v1(raw: bytes, max_containers: int = 1 << 20) -> Trace:
    """A version 1 file's bytes (gzip already undone) as a Trace. More than
    ``max_containers`` brackets (objects and lists, or brackets inside strings) is refused
    before parsing: the Python objects of a file of empty lists would take 20x its size."""
    if raw.count(b"[") + raw.count(b"{") > max_containers:
        raise TraceFileError(f"a version 1 (JSON) trace of more than {max_containers} objects "
                             f"and lists")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TraceFileError(f"not a loopviz trace (not JSON: {exc})") from None
    except RecursionError:
        raise TraceFileError("corrupt trace: JSON nested too deeply") from None
    except ValueError:  # an integer of more digits than Python converts (sys.int_info)
        raise TraceFileError(f"corrupt trace: an integer of more than "
                             f"{sys.get_int_max_str_digits()} digits") from None
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
    records: dict[str, Any] = {}  # the Trace's record fields, by name
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
    trace = Trace(meta=meta, loop_lag=series["loop_lag"], ui_heartbeat=series["ui_heartbeat"],
                  duration_ns=duration, **records)
    check_bulk(check_records(trace), thread_ids(trace), trace.step_table, trace.wait_table)
    return trace


_is_int = in_range  # an int a trace can hold: bigger ones would overflow its int64 columns


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and v in choices


_CHOICES: dict[str, tuple[str, ...]] = {
    "Outcome": OUTCOMES, "WaitKind": WAIT_KINDS, "ThreadRole": THREAD_ROLES}
_CHECKS: dict[str, Callable[[Any], bool]] = {
    "int": _is_int,
    "int | None": lambda v: v is None or _is_int(v),
    "str": lambda v: isinstance(v, str),
    **{name: _one_of(choices) for name, choices in _CHOICES.items()},
    # Newer loopviz versions may add diagnostics and culprits: any string loads.
    "DiagnosticKind": lambda v: isinstance(v, str),
    "Culprit": lambda v: isinstance(v, str),
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
            if isinstance(value, int | list) and check(0 if isinstance(value, int) else []):
                raise TraceFileError(f"corrupt trace: {key}[{index}].{f.name} holds a number "
                                     f"out of range")
            choices = _CHOICES.get(str(f.type))
            if choices is not None:
                raise TraceFileError(f"corrupt trace: {key}[{index}].{f.name} must be one of "
                                     f"{', '.join(choices)}, not {str(value)[:40]!r}")
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
