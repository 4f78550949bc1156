"""blocking-sleep: the block is attributed to the time.sleep line; the fixed variant has none."""

from __future__ import annotations

from loopviz.demos import blocking_sleep
from loopviz.demos import evidence as ev
from tests.demos.helpers import run_demo


def test_blocking_sleep_is_attributed_to_its_line() -> None:
    r = run_demo("blocking_sleep", "pitfall", block=0.6)
    assert r.status == "finished"
    file, line = ev.source_line(blocking_sleep.load_settings, "time.sleep(")
    blocks = ev.ui_blocks(r.trace, int(0.3e9))
    assert len(blocks) == 1
    b = blocks[0]
    assert ev.same_file(b.file, file) and b.line == line
    assert 0.5 <= (b.end_ns - b.start_ns) / 1e9 <= 1.0
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]


def test_blocked_loop_makes_other_timers_late_and_stops_the_heartbeat() -> None:
    r = run_demo("blocking_sleep", "pitfall", block=0.6)
    spinner = ev.first_task(r.trace, "spinner")
    assert spinner is not None
    assert max(ev.timer_lateness(r.trace.waits_of(spinner.id))) >= 0.4e9
    assert ev.heartbeat_max(r.trace) >= 0.4e9
    loader = ev.first_task(r.trace, "load-settings")
    step = ev.longest_step(r.trace.steps_of(loader.id))
    assert step.end_ns - step.start_ns >= 0.5e9


def test_awaiting_asyncio_sleep_blocks_nothing() -> None:
    r = run_demo("blocking_sleep", "fixed", block=0.6)
    assert r.status == "finished"
    assert ev.ui_blocks(r.trace, int(0.3e9)) == []
    spinner = ev.first_task(r.trace, "spinner")
    assert max(ev.timer_lateness(r.trace.waits_of(spinner.id))) < 0.3e9
    assert all(f.ok for f in r.findings), [f.text for f in r.findings]
    assert blocking_sleep.DEMO.question.answer(r.trace, "fixed", block=0.6) == 0
