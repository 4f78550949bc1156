"""Small modules with one job each: no Python module of loopviz's over 450 lines. A module that
grows past it is split by job (what it does), not by line count."""

from __future__ import annotations

from pathlib import Path

import loopviz

MAX_LINES = 450


def test_no_module_of_loopviz_is_over_450_lines():
    root = Path(loopviz.__file__).parent
    sizes = {path.relative_to(root.parent).as_posix(): len(path.read_text("utf-8").splitlines())
             for path in sorted(root.rglob("*.py"))}
    assert len(sizes) > 50  # the package was found, not some empty folder
    too_long = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"
