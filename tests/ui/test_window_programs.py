"""A user's program in the window: run once, as python runs it, on the UI thread, with the
window live meanwhile; the app is unharmed whatever the program does."""

from __future__ import annotations

import textwrap

from PySide6.QtCore import QTimer

from tests.ui.test_window_runs import choose

PROGRAM = textwrap.dedent("""
    import asyncio, pathlib, sys
    marks = pathlib.Path(sys.argv[0]).with_suffix(".runs")
    marks.write_text(marks.read_text() + "x" if marks.exists() else "x")
    async def child(i):
        await asyncio.sleep(0.05 * i)
    async def main():
        async with asyncio.TaskGroup() as tg:
            for i in range(3):
                tg.create_task(child(i))
    asyncio.run(main())
    asyncio.run(main())
""")


def test_a_program_with_module_level_asyncio_run_runs_once_per_run(window, run_to_end,
                                                                   errors, tmp_path) -> None:
    path = tmp_path / "docs_example.py"
    path.write_text(PROGRAM)
    assert window.open_script(str(path))
    assert not path.with_suffix(".runs").exists()  # opening it ran nothing
    result = run_to_end(window)
    assert result.status == "finished" and not errors
    assert path.with_suffix(".runs").read_text() == "x"
    assert [t.coro for t in window.trace.tasks if t.coro == "main"] == ["main", "main"]
    assert len([t for t in window.trace.tasks if t.coro == "child"]) == 6
    result = run_to_end(window)
    assert path.with_suffix(".runs").read_text() == "xx"
    choose(window, "interleaving", rounds=1, pause=0.05)
    assert run_to_end(window).status == "finished"


def test_sys_exit_and_errors_in_a_program_are_results(window, run_to_end, errors,
                                                      tmp_path) -> None:
    path = tmp_path / "exits.py"
    path.write_text("import asyncio, sys\nasync def main():\n    await asyncio.sleep(0)\n"
                    "    sys.exit(3)\nasyncio.run(main())\n")
    assert window.open_script(str(path))
    result = run_to_end(window)
    assert (result.status, result.exit_code) == ("exited", 3) and not errors
    path.write_text("raise RuntimeError('at import')\n")
    result = run_to_end(window)
    assert result.status == "raised" and "at import" in result.error
    assert window.commands.run.isEnabled()


def test_cancel_interrupts_a_server_program(window, qtbot, errors, tmp_path) -> None:
    path = tmp_path / "server.py"
    path.write_text("import asyncio\nloop = asyncio.new_event_loop()\nloop.run_forever()\n")
    assert window.open_script(str(path))
    running = []

    def press_cancel() -> None:  # as a click would: an event handled inside the program's run
        running.append(window.runs.running)
        window.cancel()

    QTimer.singleShot(500, press_cancel)
    with qtbot.waitSignal(window.runFinished, timeout=20_000) as blocker:
        window.commands.run.trigger()
    assert running == [True]
    assert blocker.args[0].status == "cancelled" and not errors


def test_a_scripted_gui_run_of_a_program_runs_it_once_and_quits(tmp_path) -> None:
    import os
    import subprocess
    import sys

    path = tmp_path / "once.py"
    path.write_text("import asyncio\nprint('module code')\n"
                    "async def main():\n    await asyncio.sleep(0.05)\n    print('main ran')\n"
                    "asyncio.run(main())\n")
    proc = subprocess.run(
        [sys.executable, "-m", "loopviz", "gui", str(path), "--run", "--quit-after-run"],
        capture_output=True, text=True, timeout=90, cwd=tmp_path,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines() == ["module code", "main ran"]  # once: not at launch
