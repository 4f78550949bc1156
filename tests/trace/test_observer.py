"""loopviz's own work on the UI thread is the observer's, not the program's: the program's lag
and heartbeat figures leave it out, and the trace reports it separately."""

from __future__ import annotations

from loopviz.trace import Trace
from loopviz.trace.records import Callback, ThreadInfo

MS = 1_000_000


def trace_with(callbacks: list[Callback]) -> Trace:
    # lag probe every 20 ms; the one at 100 ms was 30 ms late, the one at 200 ms 12 ms late
    lag = tuple((t * MS, (30 if t == 100 else 12 if t == 200 else 1) * MS)
                for t in range(20, 401, 20))
    beats = tuple((t * MS, (40 if t == 100 else 10) * MS) for t in range(10, 401, 10))
    return Trace(meta={}, threads=(ThreadInfo(0, "MainThread", "ui-loop"),),
                 callbacks=tuple(callbacks), loop_lag=lag, ui_heartbeat=beats,
                 duration_ns=400 * MS)


def test_lag_caused_by_loopviz_paint_is_not_the_programs() -> None:
    paint = Callback(0, 72 * MS, 100 * MS, "loopviz: repaint")  # behind the 30 ms sample
    trace = trace_with([paint])
    assert trace.lag_stats().max == 12 * MS  # the program's own 12 ms stall is still there
    assert trace.heartbeat_stats().max == 12 * MS
    share = trace.observer()
    assert share.own_ns == 28 * MS and share.longest_ns == 28 * MS
    assert share.raw_lag_p99_ns == 30 * MS
    assert trace.summary()["observer"]["share"] == 0.07


def test_a_programs_own_callbacks_still_count_as_its_lag() -> None:
    trace = trace_with([Callback(0, 72 * MS, 100 * MS, "on_data")])
    assert trace.lag_stats().max == 30 * MS
    assert trace.observer().own_ns == 0 and trace.summary()["observer"] is None


def test_overlapping_loopviz_stretches_count_once() -> None:
    trace = trace_with([Callback(0, 70 * MS, 90 * MS, "loopviz: update"),
                        Callback(0, 80 * MS, 100 * MS, "loopviz: stalled in paint")])
    assert trace.observer().own_ns == 30 * MS
    assert trace.lag_stats().max == 12 * MS
