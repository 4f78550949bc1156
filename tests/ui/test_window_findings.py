"""The findings panel lists each fact once: a block is one line (not a finding, a diagnostic
and a freeze), and a diagnostic repeated by a worker is one line with its count."""

from __future__ import annotations

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
