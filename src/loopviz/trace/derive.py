"""The numpy pieces of building a trace from raw records (:mod:`loopviz.trace.incremental`):
joins by (task, time), the split of a big recording into batches, labels.

Everything here is linear (or n log n) in the records it is given and allocates a few
temporaries of that size: the builder gives it batches of at most :data:`BATCH` steps, so a
final build of millions of steps needs memory for its result plus one batch's temporaries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from loopviz.trace.columns import WaitTable

BATCH = 1 << 16  # steps per batch of a build
_COUNTED = 1 << 20  # distinct_pairs counts keys below this (an 8 MB table at most)


def sleep_label(base: str, delay_ms: int) -> str:
    return f"{base} {delay_ms / 1000:g} s" if delay_ms >= 1000 else f"{base} {delay_ms} ms"


def task_label(base: str, targets: tuple[int, ...], names: dict[int, str]) -> str:
    if not targets:
        return base
    shown = ", ".join(names.get(t, f"task {t}") for t in targets[:3])
    more = f" +{len(targets) - 3}" if len(targets) > 3 else ""
    return f"{base} {shown}{more}".strip()


def first_at_or_after(keys_task: np.ndarray, keys_t: np.ndarray, ev_task: np.ndarray,
                      ev_t: np.ndarray) -> np.ndarray:
    """For each query (keys_task[i], keys_t[i]): the index into the events of the first event
    of the same task with time >= keys_t[i] (the earliest, by time), else -1."""
    n, m = len(keys_task), len(ev_task)
    if not n or not m:
        return np.full(n, -1, np.int64)
    task = np.concatenate([keys_task, ev_task])
    t = np.concatenate([keys_t, ev_t])
    is_event = np.concatenate([np.zeros(n, bool), np.ones(m, bool)])
    order = np.lexsort((is_event, t, task))  # by task, then time; a query before an event
    pos = np.empty(n + m, np.int64)
    pos[order] = np.arange(n + m)
    big = n + m
    cand = np.where(is_event[order], np.arange(n + m), big)
    nxt = np.minimum.accumulate(cand[::-1])[::-1]  # next event position at or after
    q = nxt[pos[:n]]
    ok = q < big
    hit = np.full(n, -1, np.int64)
    qi = q[ok]
    same = task[order[qi]] == keys_task[ok]
    idx = np.flatnonzero(ok)[same]
    hit[idx] = order[qi[same]] - n
    return hit


def records(raw: Any, stride: int) -> np.ndarray:
    """Raw int records as an (n, stride) int64 array: a view of ``raw``, not a copy."""
    if not len(raw):
        return np.empty((0, stride), np.int64)
    return np.frombuffer(raw, dtype=np.int64).reshape(-1, stride)


def relative(a: np.ndarray, t0: int, times: tuple[int, ...]) -> np.ndarray:
    """A copy of records ``a`` with the columns ``times`` made relative to ``t0``."""
    out = a.copy()
    for col in times:
        out[:, col] -= t0
    return out


def batches(steps: np.ndarray, wakes: np.ndarray, dues: np.ndarray,
            size: int = BATCH) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Split raw (steps, wakes, dues) records into batches of at most ``size`` steps, each as
    a live build would have seen it: the loop's thread appends every record at the instant it
    names (steps at their end, dues just before their step, wakes when they happen), so
    cutting each kind at one instant gives a state the recording really passed through.

    Steps are cut by count; with the cut between steps ``i - 1`` and ``i``, the batch takes the
    dues up to step ``i - 1``'s end and the wakes before step ``i``'s end (a wake of the wait
    step ``i`` starts is never before it). Records not in time order (never made by the
    instrumentation) are taken in one batch."""
    n = len(steps)
    ends = steps[:, 2]
    if n <= size or bool(np.any(np.diff(ends) < 0)):
        yield steps, wakes, dues
        return
    wakes = _by_time(wakes, 1)
    dues = _by_time(dues, 1)
    w0 = d0 = 0
    for s0 in range(0, n, size):
        s1 = min(n, s0 + size)
        if s1 == n:
            w1, d1 = len(wakes), len(dues)
        else:
            w1 = int(np.searchsorted(wakes[:, 1], ends[s1], side="left"))
            d1 = int(np.searchsorted(dues[:, 1], ends[s1 - 1], side="right"))
        yield steps[s0:s1], wakes[w0:w1], dues[d0:d1]
        w0, d0 = w1, d1


def _by_time(a: np.ndarray, col: int) -> np.ndarray:
    if len(a) < 2 or not np.any(np.diff(a[:, col]) < 0):
        return a
    return a[np.argsort(a[:, col], kind="stable")]


def known_tasks(known: set[int], waits: WaitTable, jobs: tuple[Any, ...], blocks: list[Any],
                diagnostics: list[Any]) -> tuple[WaitTable, tuple[Any, ...], list[Any],
                                                 list[Any]]:
    """References to tasks the ring buffer dropped become None (awaited ones are left out)."""
    ids = np.fromiter(known, np.int64, len(known))
    keep = np.isin(waits.targets, ids)
    if not keep.all():
        owner = np.repeat(np.arange(len(waits)), np.diff(waits.target_offsets))
        counts = np.bincount(owner[keep], minlength=len(waits))
        offsets = np.zeros(len(waits) + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        waits = waits.replaced(targets=waits.targets[keep], target_offsets=offsets)
    jobs = tuple(j if j.task is None or j.task in known else replace(j, task=None) for j in jobs)
    blocks = [b if b.task is None or b.task in known else replace(b, task=None) for b in blocks]
    diagnostics = [d if d.task is None or d.task in known else replace(d, task=None)
                   for d in diagnostics]
    return waits, jobs, blocks, diagnostics


def distinct_pairs(a: np.ndarray, b: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The distinct (a, b) pairs of non-negative ``a`` (sites) and any ``b`` (delays), and for
    each position its pair's index. Few distinct pairs in a small range (the usual sleeps) are
    counted, not sorted; otherwise two 1-D uniques. Never ``np.unique(axis=0)``: it sorts rows
    as opaque bytes and took 70 % of the build of a million timer steps."""
    if not len(a):
        return [], np.empty(0, np.int64)
    lo = int(b.min())
    span = int(b.max()) - lo + 1
    if span * (int(a.max()) + 1) <= _COUNTED:
        key = a.astype(np.int64) * span + (b - lo)
        keys = np.flatnonzero(np.bincount(key))
        lookup = np.zeros(int(keys[-1]) + 1, np.int64)
        lookup[keys] = np.arange(len(keys))
        return [(k // span, k % span + lo) for k in keys.tolist()], lookup[key]
    b_values, b_code = np.unique(b, return_inverse=True)
    key = a.astype(np.int64) * len(b_values) + b_code.reshape(-1)
    keys, inverse = np.unique(key, return_inverse=True)
    pairs = list(zip((keys // len(b_values)).tolist(), b_values[keys % len(b_values)].tolist(),
                     strict=True))
    return pairs, inverse.reshape(-1)
