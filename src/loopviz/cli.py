"""Command line entry point (filled in by the engine issue)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from loopviz import __version__

    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        print(f"loopviz {__version__}")
        return 0
    return 1
