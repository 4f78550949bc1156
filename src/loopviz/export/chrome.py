"""Chrome Trace Event JSON (opens in Perfetto / chrome://tracing), streamed.

Tasks are tracks of one process ("asyncio tasks"), threads of another ("threads": the UI loop,
executor workers); steps and waits are complete ("X") slices, await edges are flow events,
loop lag and the UI heartbeat are counters. Times are microseconds, as the format wants.

:func:`iter_chrome_events` makes events a chunk of records at a time from the trace's columns
and :func:`save_chrome_trace` encodes each chunk (msgspec) and writes it before making the
next; :func:`export_chrome_trace` converts a saved file without loading its steps and waits
(they are read a frame at a time), so memory does not grow with the trace's size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from loopviz.export.errors import TraceFileError
from loopviz.export.framing import DEFAULT_LIMITS, MAGIC, Limits
from loopviz.trace import Trace
from loopviz.trace.columns import StepTable, WaitTable

TASKS_PID, THREADS_PID = 1, 2
CHUNK = 8192  # records per batch of events


def _us(ns: int) -> float:
    return ns / 1000.0


def _metadata(trace: Trace) -> Iterator[dict[str, Any]]:
    yield {"ph": "M", "pid": TASKS_PID, "name": "process_name", "args": {"name": "asyncio tasks"}}
    yield {"ph": "M", "pid": THREADS_PID, "name": "process_name", "args": {"name": "threads"}}
    tt = trace.task_table
    for tid, name, coro in zip(tt.id.tolist(), tt.name.tolist(), tt.string_column("coro"),
                               strict=True):
        yield {"ph": "M", "pid": TASKS_PID, "tid": tid, "name": "thread_name",
               "args": {"name": f"{name} ({coro})"}}
        yield {"ph": "M", "pid": TASKS_PID, "tid": tid, "name": "thread_sort_index",
               "args": {"sort_index": tid}}
    for th in trace.threads:
        yield {"ph": "M", "pid": THREADS_PID, "tid": th.id, "name": "thread_name",
               "args": {"name": f"{th.name} [{th.role}]"}}


def _steps(st: StepTable, names: dict[int, str]) -> Iterator[list[dict[str, Any]]]:
    for lo in range(0, len(st), CHUNK):
        hi = min(len(st), lo + CHUNK)
        batch = []
        for task, start, end, thread in zip(st.task[lo:hi].tolist(), st.start_ns[lo:hi].tolist(),
                                            st.end_ns[lo:hi].tolist(),
                                            st.thread[lo:hi].tolist(), strict=True):
            ts, dur = start / 1000.0, (end - start) / 1000.0
            batch.append({"ph": "X", "pid": TASKS_PID, "tid": task, "name": "step",
                          "cat": "running", "ts": ts, "dur": dur, "args": {"thread": thread}})
            batch.append({"ph": "X", "pid": THREADS_PID, "tid": thread,
                          "name": names.get(task, "task"), "cat": "step", "ts": ts, "dur": dur})
        yield batch


def _waits(wt: WaitTable, end_of_trace: int, first: int) -> Iterator[list[dict[str, Any]]]:
    """``first``: the index of ``wt``'s first wait in the trace (flow ids are made from it).
    A batch ends at about CHUNK events, inside a wait's flows too: one gather of 200,000
    tasks is 400,000 flow events, which must not be one batch (~150 MB of dicts)."""
    batch: list[dict[str, Any]] = []
    for lo in range(0, len(wt), CHUNK):
        for i, w in enumerate(wt[lo:min(len(wt), lo + CHUNK)], first + lo):
            end = w.end_ns if w.end_ns is not None else end_of_trace
            args = {"kind": w.kind, "at": f"{w.file}:{w.line}",
                    "ready_after_ms": None if w.ready_ns is None
                    else (w.ready_ns - w.start_ns) / 1e6}
            batch.append({"ph": "X", "pid": TASKS_PID, "tid": w.task, "name": w.label or w.kind,
                          "cat": f"wait.{w.kind}", "ts": _us(w.start_ns),
                          "dur": _us(end - w.start_ns), "args": args})
            for target in w.targets:
                flow = {"pid": TASKS_PID, "cat": "await", "name": "await", "id": i * 1000 + target}
                batch.append({**flow, "ph": "s", "tid": w.task, "ts": _us(w.start_ns)})
                batch.append({**flow, "ph": "f", "bp": "e", "tid": target, "ts": _us(w.start_ns)})
                if len(batch) >= CHUNK:
                    yield batch
                    batch = []
        if batch:
            yield batch
            batch = []


def _rest(trace: Trace) -> Iterator[dict[str, Any]]:
    end_of_trace = trace.duration_ns
    for j in trace.jobs:
        if j.start_ns is not None and j.thread is not None:
            end = j.end_ns if j.end_ns is not None else end_of_trace
            yield {"ph": "X", "pid": THREADS_PID, "tid": j.thread, "name": j.function,
                   "cat": "job", "ts": _us(j.start_ns), "dur": _us(end - j.start_ns),
                   "args": {"queued_ms": (j.start_ns - j.submitted_ns) / 1e6, "task": j.task}}
    for c in trace.callbacks:
        yield {"ph": "X", "pid": THREADS_PID, "tid": c.thread, "name": c.label,
               "cat": "callback", "ts": _us(c.start_ns), "dur": _us(c.end_ns - c.start_ns)}
    for b in trace.blocks:
        yield {"ph": "X", "pid": THREADS_PID, "tid": b.thread, "name": f"BLOCKED {b.function}",
               "cat": "block", "ts": _us(b.start_ns), "dur": _us(b.end_ns - b.start_ns),
               "args": {"at": f"{b.file}:{b.line}", "stack": list(b.stack)}}
    for d in trace.diagnostics:
        yield {"ph": "i", "s": "g", "pid": THREADS_PID, "tid": 0, "name": d.kind,
               "ts": _us(d.t_ns), "args": {"message": d.message, "at": f"{d.file}:{d.line}"}}
    for t, lag in trace.loop_lag:
        yield {"ph": "C", "pid": THREADS_PID, "name": "loop lag (ms)", "ts": _us(t),
               "args": {"lag": lag / 1e6}}
    for t, interval in trace.ui_heartbeat:
        yield {"ph": "C", "pid": THREADS_PID, "name": "UI heartbeat (ms)", "ts": _us(t),
               "args": {"interval": interval / 1e6}}


def _batches(it: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for ev in it:
        batch.append(ev)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


Tables = Callable[[], Iterable[Any]]


def iter_chrome_events(trace: Trace, steps: Tables | None = None,
                       waits: Tables | None = None) -> Iterator[list[dict[str, Any]]]:
    """The trace's events in batches (each at most a few CHUNKs of records' worth). Steps
    and waits are the trace's own unless ``steps``/``waits`` give their tables, in order."""
    yield from _batches(_metadata(trace))
    names = trace.task_table.names_by_id()
    for st in steps() if steps is not None else [trace.step_table]:
        yield from _steps(st, names)
    first = 0
    for wt in waits() if waits is not None else [trace.wait_table]:
        yield from _waits(wt, trace.duration_ns, first)
        first += len(wt)
    yield from _batches(_rest(trace))


def chrome_events(trace: Trace) -> list[dict[str, Any]]:
    """Every event of the trace in one list (for small traces and tests)."""
    return [ev for batch in iter_chrome_events(trace) for ev in batch]


def export_chrome_trace(source: str | Path, path: str | Path,
                        limits: Limits = DEFAULT_LIMITS) -> Path:
    """Convert a saved trace file to Chrome trace JSON. A version 2 file's steps and waits
    are read and written a frame at a time; a version 1 file is loaded whole (JSON has no
    frames; such files are small). TraceFileError for a file that is not a good trace."""
    from loopviz.export.native import load_trace
    from loopviz.export.native_v2_read import Streamed

    try:
        with Path(source).open("rb") as stream:
            v2 = stream.read(len(MAGIC)) == MAGIC
    except OSError:
        v2 = False  # load_trace says what is wrong with the path, in one line
    if not v2:
        return save_chrome_trace(load_trace(source, limits), path)
    try:
        streamed = Streamed(source, limits)
    except OSError as exc:
        raise TraceFileError(f"{source}: cannot read ({exc.strerror or exc})") from None
    except TraceFileError as exc:
        raise TraceFileError(f"{source}: {exc}") from None
    try:  # steps and waits are read (and checked) while the output is written
        return save_chrome_trace(streamed.trace, path, streamed.steps, streamed.waits)
    except TraceFileError as exc:
        raise TraceFileError(f"{source}: {exc}") from None


def save_chrome_trace(trace: Trace, path: str | Path, steps: Tables | None = None,
                      waits: Tables | None = None) -> Path:
    """Write the Chrome trace JSON, one batch of events at a time (``steps``/``waits``: as
    for :func:`iter_chrome_events`). Never leaves a half-written file under the real name."""
    path = Path(path)
    encoder = msgspec.json.Encoder(enc_hook=str)
    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("wb") as out:
            out.write(b'{"traceEvents":[')
            first = True
            for batch in iter_chrome_events(trace, steps, waits):
                if not batch:
                    continue
                if not first:
                    out.write(b",")
                out.write(encoder.encode(batch)[1:-1])
                first = False
            out.write(b'],"displayTimeUnit":"ms","otherData":{"loopviz":')
            out.write(encoder.encode(trace.meta))
            out.write(b"}}")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path

