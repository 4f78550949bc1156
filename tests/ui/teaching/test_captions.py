"""Caption sentences generated from the recorded events."""

from __future__ import annotations

from loopviz.demos import blocking_sleep, sequential_vs_gather
from loopviz.demos.evidence import source_line
from loopviz.trace.captions import caption_at, captions, secs


def test_a_suspension_is_captioned_with_its_line_and_what_it_awaits(gather_run):
    trace = gather_run.trace
    (fetch,) = trace.tasks_named("fetch-2")
    (wait,) = trace.waits_of(fetch.id)
    _, line = source_line(sequential_vs_gather.fetch, "await asyncio.sleep(")
    texts = [c.text for c in captions(trace) if c.t_ns == wait.start_ns]
    assert f"fetch-2 suspended at line {line}: awaiting asyncio.sleep 300 ms" in texts


def test_a_block_is_captioned_for_as_long_as_it_lasts(blocking_run):
    trace = blocking_run.trace
    block = trace.longest_block()
    _, line = source_line(blocking_sleep.load_settings, "time.sleep(")
    expected = (f"UI thread blocked by time.sleep at line {line} for "
                f"{secs(block.end_ns - block.start_ns)}")
    assert caption_at(trace, block.start_ns) == expected
    assert caption_at(trace, block.end_ns - 1) == expected
    assert caption_at(trace, block.end_ns) != expected


def test_old_captions_fade_after_the_hold_time(gather_run):
    trace = gather_run.trace
    (fetch,) = trace.tasks_named("fetch-3")
    (wait,) = trace.waits_of(fetch.id)
    mid = (wait.start_ns + wait.ready_ns) // 2
    assert caption_at(trace, mid)  # the newest sentence so far
    assert caption_at(trace, mid, hold_ns=1_000_000) == ""
    assert caption_at(trace, -1) == ""
