"""The fault corpus over and over in one window, as a user trying everything would: programs
that stop the loop, make widgets, raise KeyboardInterrupt, exit, serve until cancelled, and
hostile trace files opened between runs. Every run ends with its status, the window keeps
working, and its memory and thread count stay flat (LOOPVIZ_SOAK=50 for the long soak; CI
runs a few rounds)."""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path

from PySide6.QtCore import QTimer

from loopviz.export import save_trace
from tests.export.hostile import cases
from tests.session.test_run_endings import PROGRAMS
from tests.ui.test_window_runs import choose

ROUNDS = int(os.environ.get("LOOPVIZ_SOAK", "3"))
PROGRAM_CASES = {  # program -> the status its run ends with
    "stops_loop.py": "raised",  # RuntimeError from run_until_complete, as under python
    "widgets_script.py": "finished",
    "raises_keyboard_interrupt.py": "raised",
}
SERVER = "import asyncio\nloop = asyncio.new_event_loop()\nloop.run_forever()\n"
EXITS = "import asyncio, sys\nasync def main():\n    await asyncio.sleep(0)\n    sys.exit(3)\n" \
    "asyncio.run(main())\n"


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def one_round(window, qtbot, run_to_end, errors, tmp_path: Path, hostile: list[Path]) -> None:
    for program, status in PROGRAM_CASES.items():
        assert window.open_script(str(PROGRAMS / program))
        assert run_to_end(window).status == status, program
    exits, server = tmp_path / "exits.py", tmp_path / "server.py"
    assert window.open_script(str(exits))
    result = run_to_end(window)
    assert (result.status, result.exit_code) == ("exited", 3)
    assert window.open_script(str(server))
    QTimer.singleShot(300, window.cancel)  # as a click during the program's run
    with qtbot.waitSignal(window.runFinished, timeout=20_000) as blocker:
        window.commands.run.trigger()
    assert blocker.args[0].status == "cancelled"
    for path in hostile:
        assert not window.open_trace(str(path))
    assert len(errors) == len(hostile) and all("\n" not in e[1] for e in errors)
    errors.clear()
    assert window.open_trace(str(tmp_path / "real.loopviz"))
    choose(window, "interleaving", rounds=1, pause=0.02)
    assert run_to_end(window).status == "finished"


def test_the_fault_corpus_many_times_in_one_window(window, qtbot, run_to_end, errors,
                                                   tmp_path) -> None:
    (tmp_path / "exits.py").write_text(EXITS)
    (tmp_path / "server.py").write_text(SERVER)
    choose(window, "interleaving", rounds=1, pause=0.02)
    run_to_end(window)
    save_trace(window.trace, tmp_path / "real.loopviz")
    hostile = []
    for i, ((_, fmt), (data, _)) in enumerate(cases(window.trace).items()):
        if fmt != "v1" and i % 3 == 0:  # a third of the kinds, both versions, each round
            hostile.append(tmp_path / f"hostile-{i}.{fmt}")
            hostile[-1].write_bytes(data)
    one_round(window, qtbot, run_to_end, errors, tmp_path, hostile)  # warm-up
    gc.collect()
    rss0, threads0 = rss_mib(), threading.active_count()
    rss = []
    for _ in range(ROUNDS):
        one_round(window, qtbot, run_to_end, errors, tmp_path, hostile)
        gc.collect()
        rss.append(rss_mib())
    growth = rss[-1] - rss0
    print(f"\nwindow soak: {ROUNDS} rounds x {len(PROGRAM_CASES) + 4} runs and "
          f"{len(hostile)} hostile files; RSS {rss0:.0f} -> {rss[-1]:.0f} MiB "
          f"(per round: {', '.join(f'{r:.0f}' for r in rss)}), "
          f"threads {threads0} -> {threading.active_count()}")
    assert threading.active_count() <= threads0
    # Flat: a few MiB of allocator noise and caches, not a run's worth (~10 MiB) per round.
    assert growth < 8 + 1.0 * ROUNDS, f"grew {growth:.1f} MiB in {ROUNDS} rounds"
