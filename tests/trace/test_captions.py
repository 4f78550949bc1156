"""Caption sentences generated from the recorded events."""

from __future__ import annotations

from loopviz.demos import blocking_sleep, sequential_vs_gather
from loopviz.demos.evidence import source_line
from loopviz.trace.captions import caption_at, captions
from loopviz.trace.wording import duration


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
                f"{duration(block.end_ns - block.start_ns)}")
    assert caption_at(trace, block.start_ns) == expected
    assert caption_at(trace, block.end_ns - 1) == expected
    assert caption_at(trace, block.end_ns) != expected


def test_in_a_quiet_stretch_the_caption_says_what_the_loop_holds(gather_run):
    trace = gather_run.trace
    (fetch,) = trace.tasks_named("fetch-3")
    (wait,) = trace.waits_of(fetch.id)
    mid = (wait.start_ns + wait.ready_ns) // 2
    newest = caption_at(trace, mid)
    assert "suspended" in newest  # the newest sentence so far
    quiet = caption_at(trace, mid, hold_ns=1_000_000)
    left = (min(w.due_ns for w in trace.waits if w.due_ns) - mid) / 1e6
    assert quiet.startswith("loop idle · fetch-1, fetch-2, fetch-3 sleeping (next timer in ")
    assert f"{left:.0f} ms" in quiet or f"{left + 1:.0f} ms" in quiet or \
        f"{left - 1:.0f} ms" in quiet
    assert "main awaiting gather fetch-1, fetch-2, fetch-3" in quiet
    assert caption_at(trace, -1) == ""
