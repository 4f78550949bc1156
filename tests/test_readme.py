"""The README keeps its promises: two commands for a fresh machine (CI runs the second one
verbatim) and a catalogue table that lists every demo in the registry."""

from __future__ import annotations

import re
from pathlib import Path

from loopviz.demos import all_demos

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def first_code_block() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert block, "README must open with a bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands_and_ci_runs_the_test_one():
    install_and_run, test = first_code_block()
    assert "pip install" in install_and_run and install_and_run.rstrip().endswith("loopviz")
    assert "[test]" in test and "pytest" in test
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_catalogue_table_lists_every_demo_with_its_lesson():
    for demo in all_demos():
        assert f"| `{demo.id}` |" in README, f"{demo.id} missing from the README catalogue"
        assert demo.summary in README
