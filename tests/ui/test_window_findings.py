"""The findings panel lists each fact once: a block is one line (not a finding, a diagnostic
and a freeze), and a diagnostic repeated by a worker is one line with its count."""

from __future__ import annotations

import time

from tests.ui.test_window_runs import choose


def test_the_blocking_demo_lists_its_block_once_clickable_at_its_start(window,
                                                                        run_to_end) -> None:
    choose(window, "blocking-sleep", "pitfall", block=0.4)
    run_to_end(window)
    listed = window.findings_panel.entries()
    texts = [e.shown for e in listed]
    assert len(texts) == len(set(texts)), texts
    block = window.trace.longest_block()
    assert block is not None and block.end_ns - block.start_ns >= 0.3e9
    at_block = [e for e in listed if e.t_ns == block.start_ns]
    assert len(at_block) == 1 and at_block[0].kind == "block" and at_block[0].ok
    for other in window.trace.blocks:  # a start-up stall too: one line each, never more
        assert sum(e.t_ns == other.start_ns for e in listed) == 1
    said = f"at {block.file.rsplit('/', 1)[-1]}:{block.line}"
    shown = [window.findings_panel.list.item(i).text()
             for i in range(window.findings_panel.list.count())]
    assert sum(said in t for t in shown) == 1, shown


def test_every_diagnostic_is_accounted_for_by_exactly_one_line(window, run_to_end) -> None:
    choose(window, "wrong-thread-ui", "pitfall")
    run_to_end(window)
    diags = window.trace.diagnostics
    reported = sum(d.count for d in diags)  # a record counts the repeats of its site
    assert reported >= 2
    listed = [e for e in window.findings_panel.entries() if e.kind == "diagnostic"]
    said_by_blocks = sum(d.count for d in diags if d.kind == "blocked-loop"
                         and any(b.end_ns == d.t_ns for b in window.trace.blocks))
    assert sum(e.count for e in listed) == reported - said_by_blocks
    assert len({(e.text, e.line) for e in listed}) == len(listed)
    wrong = sum(d.count for d in window.trace.diagnostics_of("wrong-thread-ui"))
    assert wrong >= 2
    assert any(f"× {wrong}" in window.findings_panel.list.item(i).text()
               for i in range(window.findings_panel.list.count()))


SLOW_VIEW_PROGRAM = """\
import asyncio, time
async def main():
    for _ in range(40):
        await asyncio.sleep(0.02)
    time.sleep(0.25)  # the program's own block
    for _ in range(10):
        await asyncio.sleep(0.02)
asyncio.run(main())
"""


def test_a_slow_view_update_is_loopvizs_own_work_never_a_finding_about_the_program(
        window, run_to_end, tmp_path) -> None:
    """A view that takes 0.25 s over one live update stalls the UI thread the program shares:
    that stall is drawn as loopviz's own work on the UI lane, not listed as a block of the
    program, while the program's own time.sleep in the same run still is."""
    path = tmp_path / "steady.py"
    path.write_text(SLOW_VIEW_PROGRAM)
    assert window.open_script(str(path))
    stalled: list[int] = []

    def slow_view(trace) -> None:
        if trace is not None and window.bridge.live and not stalled and len(trace.steps) > 5:
            stalled.append(1)
            time.sleep(0.25)  # a view's costly redraw, inside the bridge's update

    window.bridge.traceUpdated.connect(slow_view)
    run_to_end(window)
    assert stalled
    trace = window.trace
    [block] = [b for b in trace.blocks if b.line == 5]  # (a loaded machine may add others)
    assert (block.file, block.function) == (str(path), "time.sleep")
    own = [c for c in trace.callbacks if c.label.startswith("loopviz: stalled")]
    assert own and max(c.end_ns - c.start_ns for c in own) >= 0.2e9
    assert not any(c.start_ns <= block.start_ns < c.end_ns for c in own)
    assert not any(b.start_ns < c.end_ns and c.start_ns < b.end_ns  # none over the view's
                   for b in trace.blocks for c in own)
    longest = max(own, key=lambda c: c.end_ns - c.start_ns)  # shaded grey in the chart too
    assert any(a <= longest.start_ns / 1e9 + 1e-6 and b >= longest.end_ns / 1e9 - 1e-6
               for a, b in window.chart.own_regions())
    listed = [e.shown for e in window.findings_panel.entries()]
    assert sum("blocked" in text for text in listed) == len(trace.blocks), listed
