"""The README keeps its promises: a set-up block that works verbatim on a fresh Debian/Ubuntu,
then two commands (CI runs the second one verbatim), and a catalogue table that lists every
demo in the registry."""

from __future__ import annotations

import re
from pathlib import Path

from loopviz.demos import all_demos
from loopviz.ui.display import ALL_PACKAGES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def bash_blocks() -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    assert len(blocks) >= 2, "README must open with a set-up block and the two commands"
    return [[line for line in block.splitlines() if line.strip()] for block in blocks]


def test_setup_installs_the_system_libraries_after_apt_get_update_then_makes_a_venv():
    apt, venv = bash_blocks()[0]
    update, install = apt.index("apt-get update"), apt.index("apt-get install")
    assert update < install and "&&" in apt[update:install]
    for package in [*ALL_PACKAGES.split(), "python3-venv"]:  # what `loopviz` asks for too
        assert f" {package}" in apt, package
    assert "-m venv .venv" in venv and ". .venv/bin/activate" in venv


def test_readme_then_gives_exactly_two_commands_and_ci_runs_the_test_one():
    install_and_run, test = bash_blocks()[1]
    assert "pip install" in install_and_run and install_and_run.rstrip().endswith("loopviz")
    assert "[test]" in test and "pytest" in test
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_catalogue_table_lists_every_demo_with_its_lesson():
    for demo in all_demos():
        assert f"| `{demo.id}` |" in README, f"{demo.id} missing from the README catalogue"
        assert demo.summary in README


def test_every_picture_the_readme_shows_is_in_assets_and_every_asset_is_shown():
    shown = set(re.findall(r"!\[[^\]]*\]\((assets/[^)\s]+)\)", README))
    kept = {f"assets/{p.name}" for p in (ROOT / "assets").iterdir() if p.is_file()}
    assert shown <= kept, f"missing from assets/: {sorted(shown - kept)}"
    assert kept <= shown, f"in assets/ but never shown: {sorted(kept - shown)}"
