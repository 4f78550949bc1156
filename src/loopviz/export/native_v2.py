"""Version 2 of the native trace file: the trace's columns in frames (:mod:`.framing`).

Frames, in this order (docs/DESIGN.md "Native trace file, version 2"):

- ``meta`` (first, once): format, version, the run's meta and duration;
- ``rows`` (any number): row-wise tables appended in order, each row a list of the record's
  fields: threads, blocks, jobs, callbacks, diagnostics, loop_lag, ui_heartbeat, and the
  waits' shared ``wait_sites`` ([file, line, stack]) and ``wait_labels`` (strings); files
  written before tasks had their own frames have a ``tasks`` table here too (still read);
- ``tasks`` (any number, each a chunk of rows): the task columns (id, parent, created_ns,
  ended_ns, line; coro, file, outcome, exception as indices into the frame's ``strings``,
  -1 for no exception) and the tasks' ``names`` in the header;
- ``steps`` / ``waits`` (any number, each a chunk of rows): columns; times are delta-coded
  (``start_ns``: the first absolute, then differences; ``end_ns``/``ready_ns``/``due_ns``
  relative to the record's start, NA kept) so that they compress well;
- ``end`` (last, once): the record counts, so that a cut-off file is told from a whole one.

Saving (here) and loading (:mod:`.native_v2_read`) are single passes over the records;
loading validates every field's type (msgspec), every reference (task ids exist, no id twice,
site and label indices in range) and every interval (end >= start, ready inside its wait)
before a Trace is made.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np
import zstandard

from loopviz.export.framing import (
    LEVEL,
    MAGIC,
    delta_encode,
    encode_frame,
)
from loopviz.trace import Trace
from loopviz.trace.columns import NA
from loopviz.trace.task_table import INT_COLUMNS, STRING_COLUMNS, TaskTable

FORMAT, VERSION = "loopviz-trace", 2
CHUNK = 1 << 16  # rows per column frame: bounds what saving and loading hold at once
ROW_CHUNK = 1 << 16  # records per rows frame
Opt = int | None
ROW_TYPES: dict[str, Any] = {
    "threads": list[tuple[int, str, str]],
    "tasks": list[tuple[int, str, str, Opt, int, Opt, str, str | None, str, int]],
    "blocks": list[tuple[int, int, int, str, int, str, list[str], Opt, str]],
    "jobs": list[tuple[Opt, Opt, str, int, Opt, Opt]],
    "callbacks": list[tuple[int, int, int, str]],
    "diagnostics": list[tuple[int, str, str, Opt, str, int]],
    "loop_lag": list[tuple[int, int]],
    "ui_heartbeat": list[tuple[int, int]],
    "wait_sites": list[tuple[str, int, list[str]]],
    "wait_labels": list[str],
}
TASK_COLUMNS = (*INT_COLUMNS, *STRING_COLUMNS)
STEP_COLUMNS = ("task", "start_ns", "end_ns", "thread")
WAIT_COLUMNS = ("task", "start_ns", "ready_ns", "due_ns", "end_ns", "kind", "site", "label",
                "target_count", "targets")


# ---- writing ------------------------------------------------------------------------------------
def _chunks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def _relative(a: np.ndarray, start: np.ndarray) -> np.ndarray:
    return np.where(a == NA, NA, a - start)


def _rows(trace: Trace) -> dict[str, list[Any]]:
    return {
        "threads": [[t.id, t.name, t.role] for t in trace.threads],
        "blocks": [[b.thread, b.start_ns, b.end_ns, b.file, b.line, b.function, list(b.stack),
                    b.task, b.culprit] for b in trace.blocks],
        "jobs": [[j.thread, j.task, j.function, j.submitted_ns, j.start_ns, j.end_ns]
                 for j in trace.jobs],
        "callbacks": [[c.thread, c.start_ns, c.end_ns, c.label] for c in trace.callbacks],
        "diagnostics": [[d.t_ns, d.kind, d.message, d.task, d.file, d.line]
                        for d in trace.diagnostics],
        "loop_lag": [list(s) for s in trace.loop_lag],
        "ui_heartbeat": [list(s) for s in trace.ui_heartbeat],
        "wait_sites": [[f, line, list(stack)] for f, line, stack in trace.wait_table.sites],
        "wait_labels": list(trace.wait_table.labels),
    }


def frames(trace: Trace) -> Iterator[bytes]:
    """The frames of ``trace``, encoded, in file order (a writer joins them after MAGIC)."""
    cctx = zstandard.ZstdCompressor(level=LEVEL)
    yield encode_frame({"frame": "meta", "format": FORMAT, "version": VERSION,
                        "meta": trace.meta, "duration_ns": trace.duration_ns}, None, cctx)
    for name, rows in _rows(trace).items():
        for part in _chunks(len(rows), ROW_CHUNK):
            yield encode_frame({"frame": "rows", name: rows[part]}, None, cctx)
    yield from _task_frames(trace.task_table, cctx)
    st = trace.step_table
    for part in _chunks(len(st), CHUNK):
        start = st.start_ns[part]
        yield encode_frame({"frame": "steps"}, {
            "task": st.task[part], "start_ns": delta_encode(start),
            "end_ns": st.end_ns[part] - start,
            "thread": st.thread[part].astype(np.int32)}, cctx)
    wt = trace.wait_table
    counts = np.diff(wt.target_offsets).astype(np.int32)
    for part in _chunks(len(wt), CHUNK):
        start = wt.start_ns[part]
        yield encode_frame({"frame": "waits"}, {
            "task": wt.task[part], "start_ns": delta_encode(start),
            "ready_ns": _relative(wt.ready_ns[part], start),
            "due_ns": _relative(wt.due_ns[part], start),
            "end_ns": _relative(wt.end_ns[part], start), "kind": wt.kind[part],
            "site": wt.site[part], "label": wt.label[part], "target_count": counts[part],
            "targets": wt.targets[wt.target_offsets[part.start]:wt.target_offsets[part.stop]]},
            cctx)
    yield encode_frame({"frame": "end", "steps": len(st), "waits": len(wt),
                        "tasks": len(trace.tasks)}, None, cctx)


def _task_frames(tt: TaskTable, cctx: zstandard.ZstdCompressor) -> Iterator[bytes]:
    """Each frame names the strings its rows use (so it reads on its own)."""
    for part in _chunks(len(tt), CHUNK):
        codes = {c: getattr(tt, c)[part] for c in STRING_COLUMNS}
        every = np.concatenate(list(codes.values()))  # (np.unique would import numpy.ma)
        used = np.flatnonzero(np.bincount(every[every >= 0], minlength=len(tt.strings)))
        local = np.full(len(tt.strings) + 1, -1, np.int32)  # the last slot maps -1 to -1
        local[used] = np.arange(len(used), dtype=np.int32)
        cols = {c: getattr(tt, c)[part] for c in INT_COLUMNS}
        cols.update({c: local[codes[c]] for c in STRING_COLUMNS})
        yield encode_frame({"frame": "tasks", "strings": [tt.strings[i] for i in used.tolist()],
                            "names": tt.name[part].tolist()}, cols, cctx)


def write(trace: Trace, stream: BinaryIO) -> None:
    stream.write(MAGIC)
    for frame in frames(trace):
        stream.write(frame)
