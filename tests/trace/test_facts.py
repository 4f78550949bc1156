"""One line per fact: a block and its diagnostic, a finding that restates them, and a
diagnostic repeated hundreds of times each become one line (repeats counted)."""

from __future__ import annotations

from loopviz.session import resolve, run_headless
from loopviz.trace import Block, Diagnostic, Finding, Trace
from loopviz.trace.facts import facts

FILE = "/src/prog.py"


def blocked_trace(repeats: int = 0) -> Trace:
    block = Block(0, 60, 90, FILE, 9, "time.sleep")
    said = Diagnostic(90, "blocked-loop", "UI thread blocked 30 ms by time.sleep at prog.py:9",
                      None, FILE, 9)
    noisy = tuple(Diagnostic(100 + i, "wrong-thread-ui", "QLabel.setText touched from thread "
                             "'w', not the UI thread", None, FILE, 20) for i in range(repeats))
    return Trace({"target": "prog"}, blocks=(block,), diagnostics=(said, *noisy),
                 duration_ns=1000)


def test_a_block_its_diagnostic_and_the_findings_restating_it_are_one_line() -> None:
    findings = [Finding("UI thread blocked 30 ms by time.sleep at prog.py:9", ok=True),
                Finding("blocked-loop: UI thread blocked 30 ms by time.sleep at prog.py:9",
                        ok=False),
                Finding("the run took 1 µs")]
    listed = facts(blocked_trace(), findings)
    assert [f.text for f in listed] == ["UI thread blocked 30 ms by time.sleep at prog.py:9",
                                        "the run took 1 µs"]
    merged = listed[0]
    assert (merged.ok, merged.kind, merged.t_ns, merged.line) == (True, "block", 60, 9)


def test_identical_diagnostics_are_one_line_with_their_count() -> None:
    listed = facts(blocked_trace(repeats=292))
    assert len(listed) == 2
    noisy = listed[1]
    assert noisy.count == 292 and noisy.t_ns == 100 and noisy.shown.endswith("× 292")


def test_a_finding_quoting_a_diagnostic_takes_its_place_with_the_count() -> None:
    quote = Finding("292 wrong-thread-ui diagnostic(s); the first: QLabel.setText touched "
                    "from thread 'w', not the UI thread")
    listed = facts(blocked_trace(repeats=292), [quote])
    assert [(f.kind, f.count) for f in listed] == [("diagnostic", 292), ("block", 1)]


def test_a_status_other_than_finished_follows_the_findings() -> None:
    listed = facts(blocked_trace(), [Finding("x")], ("raised", "ValueError: boom"))
    assert [f.kind for f in listed] == ["finding", "status", "block"]


def test_a_scripts_summary_lists_its_block_once(tmp_path) -> None:
    script = tmp_path / "blocks.py"
    script.write_text("import asyncio, time\n\nasync def main():\n    await asyncio.sleep(0.05)\n"
                      "    time.sleep(0.3)\n    await asyncio.sleep(0.05)\n")
    summary = run_headless(resolve(str(script))).summary()
    blocked = [f for f in summary["facts"] if "blocked" in f["text"]]
    assert len(blocked) == 1 and blocked[0]["line"] == 5 and blocked[0]["kind"] == "block"
    assert len(summary["diagnostics"]) == 1  # the contract's raw list is unchanged


def test_a_thread_touching_a_widget_300_times_is_one_counted_line(tmp_path) -> None:
    script = tmp_path / "touchy.py"
    script.write_text(
        "import asyncio\nfrom loopviz.instrument.report import check_ui_thread\n\n"
        "def worker():\n    for _ in range(300):\n        check_ui_thread('label.setText')\n\n"
        "async def main():\n    await asyncio.to_thread(worker)\n")
    summary = run_headless(resolve(str(script))).summary()
    [diag] = summary["diagnostics"]  # one record for the site, counting its calls
    assert diag["count"] == 300
    [touched] = [f for f in summary["facts"] if f["kind"] == "diagnostic"]
    assert touched["count"] == 300 and touched["line"] == 6


def test_a_demo_finding_naming_its_block_keeps_its_lesson_with_the_blocks_line() -> None:
    lesson = Finding("analyse's CPU loop (no await) ran as one 30 ms step", ok=True,
                     data={"at_ns": 60})
    [merged] = facts(blocked_trace(), [lesson])
    assert merged.text == "analyse's CPU loop (no await) ran as one 30 ms step (prog.py:9)"
    assert (merged.ok, merged.kind, merged.t_ns, merged.line) == (True, "block", 60, 9)


def test_the_cpu_demos_lesson_and_the_block_it_caused_are_one_line() -> None:
    for target, variant, says in [("cancellation", "pitfall", "analyse's CPU loop"),
                                  ("async-in-name-only", "pitfall", "checksum ran in 1 step"),
                                  ("offload-cpu", "pitfall", "inline, on the UI thread")]:
        result = run_headless(resolve(target, variant))
        listed = result.summary()["facts"]
        lesson = [f for f in listed if says in f["text"]]
        assert len(lesson) == 1 and lesson[0]["kind"] == "block" and lesson[0]["ok"], listed
        assert sum(f["kind"] == "block" and f["count"] for f in listed) == len(
            result.trace.blocks), listed
