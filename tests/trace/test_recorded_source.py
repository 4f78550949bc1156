"""A trace keeps the source of the program it recorded, so it opens with its own code."""

from __future__ import annotations

import asyncio
from pathlib import Path

import loopviz
from loopviz.export.native import load_trace, save_trace
from loopviz.session import resolve, run_headless
from loopviz.trace.source import digest, recorded_source

HERE = Path(__file__).resolve()


def test_record_keeps_the_calling_scripts_path_hash_and_text(tmp_path) -> None:
    async def main() -> loopviz.recording.Recording:
        with loopviz.record(probes=False) as rec:
            await asyncio.sleep(0)
        return rec

    rec = asyncio.run(main())
    saved = load_trace(save_trace(rec.trace, tmp_path / "run.loopviz.json"))
    meta = saved.meta
    assert meta["source_file"] == str(HERE) and meta["target"] == str(HERE)
    assert meta["source"] == HERE.read_text(encoding="utf-8")
    assert meta["source_sha256"] == digest(meta["source"])
    assert recorded_source(meta).text == meta["source"]


def test_a_script_run_keeps_its_source_even_after_the_file_is_gone(tmp_path) -> None:
    script = tmp_path / "tiny.py"
    script.write_text("import asyncio\n\nasync def main():\n    await asyncio.sleep(0)\n")
    trace = run_headless(resolve(str(script)), loop="asyncio").trace
    script.unlink()
    shown = recorded_source(trace.meta)
    assert shown.path == str(script) and "async def main" in shown.text and not shown.note


def test_without_an_embedded_copy_a_changed_file_is_shown_with_a_warning(tmp_path) -> None:
    script = tmp_path / "prog.py"
    script.write_text("x = 1\n")
    meta = {"source_file": str(script), "source_sha256": digest("x = 0\n")}
    shown = recorded_source(meta)
    assert shown.text == "x = 1\n" and "changed since this trace was recorded" in shown.note
    assert recorded_source({"target": "interleaving"}) is None
