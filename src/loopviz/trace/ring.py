"""The ring buffer: a recorder that keeps only the last N seconds (``Recorder(keep_last_s=)``,
``loopviz run --keep-last``, ``loopviz.record(keep_last=)``), so a server can be recorded for
hours in bounded memory.

:func:`trim` drops, under the recorder's lock, every record that ended before the cutoff:
hot step/wake/due records (in time order: a binary search and one ``del`` of the prefix, done
only once at least ``at_least`` ints would go, so its cost is amortised), and the rare ones
(tasks that ended, jobs, callbacks, await edges, lag and heartbeat samples). Blocks and
diagnostics are kept whole: they are few and they are what a user looks for. The recorder's
``dropped_before`` says from when on the records are whole; builders read it into the trace's
meta (``ring_buffer``), so the summary and the views can say that the start was dropped.
"""

from __future__ import annotations

from typing import Any


def _drop_prefix(items: list[Any], cutoff: int, key: Any) -> int:
    """Drop the leading items with ``key(item) < cutoff`` (lists in rough time order)."""
    n = 0
    for item in items:
        if key(item) >= cutoff:
            break
        n += 1
    if n:
        del items[:n]
    return n


def trim(rec: Any, cutoff: int, at_least: int) -> None:
    """Drop ``rec``'s records older than ``cutoff`` (raw monotonic ns). Caller holds the lock."""
    if not rec.drop_hot_before(cutoff, at_least) and at_least > 1:
        return  # not yet worth it: everything else waits for the steps
    dropped = rec.list_dropped
    dropped["edges"] += _drop_prefix(rec.edges, cutoff, lambda e: e[1])
    dropped["callbacks"] += _drop_prefix(rec.callbacks, cutoff, lambda c: c[2])
    dropped["loop_lag"] += _drop_prefix(rec.loop_lag, cutoff, lambda s: s[0])
    dropped["ui_heartbeat"] += _drop_prefix(rec.ui_heartbeat, cutoff, lambda s: s[0])
    # dict.copy(): one C-level copy that allocates once. The loop's thread adds tasks and jobs
    # without the lock, so iterating the dicts themselves from another thread (a served trace's)
    # sees them change size; so did list(items()), whose tuples can start a garbage collection
    # that lets the loop's thread run mid-copy ("dictionary changed size during iteration"
    # stopped serving 3 runs in 3 of tests/remote/test_serve_memory.py).
    tasks = rec.tasks.copy()
    for tid in [t for t, e in tasks.items() if e.ended is not None and e.ended < cutoff]:
        del rec.tasks[tid]
    jobs = rec.jobs.copy()
    for jid in [j for j, e in jobs.items() if e.end is not None and e.end < cutoff]:
        del rec.jobs[jid]
    rec.dropped_before = max(rec.dropped_before or cutoff, cutoff)


def kept_from(trace: Any) -> float:
    """Seconds from which a trace's records are whole: 0, or where a ring buffer (a long run's,
    a served program's) dropped everything before. Views start there rather than at an empty 0."""
    ring = (trace.meta.get("ring_buffer") or {}) if trace is not None else {}
    dropped = ring.get("dropped_before_ns")
    return dropped / 1e9 if isinstance(dropped, int) and dropped > 0 else 0.0
