"""Run by test_lifetimes in a fresh interpreter: ``python lifetimes_probe.py LOOP SCRIPT``
prints, as JSON, how many objects ``gc.collect()`` frees after a bare run of SCRIPT (loopviz's
program host with nothing recording) and after an instrumented one (``run_headless``: the
session and every default diagnostic)."""

from __future__ import annotations

import gc
import json
import sys

from loopviz.session import close_loop, load_script, new_loop, run_headless
from loopviz.session.host import ProgramHost


def run(kind: str, script: str, instrumented: bool) -> None:
    target = load_script(script)
    if instrumented:
        run_headless(target, loop=kind)
    else:  # the same program host, on the same kind of loop, with nothing recording
        loop = new_loop(kind, gui=True)
        ProgramHost(target.program, loop, on_enter=_nothing, on_leave=_nothing).run()
        close_loop(loop)


def _nothing() -> None:
    pass


def freed_after(kind: str, script: str, instrumented: bool) -> int:
    gc.collect()
    run(kind, script, instrumented)
    return gc.collect()


if __name__ == "__main__":
    kind, script = sys.argv[1], sys.argv[2]
    run(kind, script, True)  # warm-up: imports, caches, the Qt application
    run(kind, script, False)
    bare = [freed_after(kind, script, False) for _ in range(2)]
    instrumented = [freed_after(kind, script, True) for _ in range(2)]
    print(json.dumps({"bare": bare, "instrumented": instrumented}))
