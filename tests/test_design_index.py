"""docs/DESIGN.md's feature → module → test index names files that exist: a reader who follows
it lands on the code and the tests, not on a path a move left behind."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Where things are: feature → module → test"


def _paths(cell: str, base: Path) -> list[Path]:
    """Each backticked name of a cell; a name without a folder is in the previous one's."""
    folder, out = base, []
    for name in re.findall(r"`([^`]+)`", cell):
        if "/" in name:
            folder = base / (name if name.endswith("/") else name.rsplit("/", 1)[0])
            name = "" if name.endswith("/") else name.rsplit("/", 1)[1]
        out.append(folder / name if name else folder)
    return out


def test_every_module_and_test_the_index_names_exists() -> None:
    text = (ROOT / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    table = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:4] for line in table.splitlines()
            if line.startswith("| ") and not line.startswith("| feature")]
    assert len(rows) >= 15
    missing = [str(p.relative_to(ROOT)) for _, code, tests in rows
               for p in _paths(code, ROOT / "src" / "loopviz") + _paths(tests, ROOT / "tests")
               if not any(ROOT.glob(str(p.relative_to(ROOT))))]
    assert not missing, f"docs/DESIGN.md's index names what is not there: {missing}"
