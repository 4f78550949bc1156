"""The command line contract (docs/DESIGN.md): exit codes, one-line errors, JSON shapes,
and no Qt imported for --version, list and --help."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from loopviz.cli import main


def loopviz(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "loopviz", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("args", [["--version"], ["list"], ["list", "--json"], ["--help"]])
def test_light_commands_import_no_qt(args):
    code = ("import sys, runpy\n"
            f"sys.argv = ['loopviz', *{args!r}]\n"
            "try:\n    runpy.run_module('loopviz', run_name='__main__')\n"
            "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
            "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'qasync')))\n"
            "assert not bad, bad\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_version_prints_the_package_version():
    from loopviz import __version__

    assert loopviz("--version").stdout.strip() == f"loopviz {__version__}"


def test_list_json_has_the_contract_fields():
    items = json.loads(loopviz("list", "--json").stdout)
    assert items and all({"id", "title", "category", "summary", "variants"} <= set(i)
                         for i in items)


def test_run_prints_a_summary_and_writes_both_trace_files(tmp_path):
    native, chrome = tmp_path / "t.loopviz.json.gz", tmp_path / "c.json"
    proc = loopviz("run", "interleaving", "--trace", str(native), "--chrome-trace", str(chrome))
    assert proc.returncode == 0, proc.stderr
    assert "interleaving" in proc.stdout and "findings:" in proc.stdout
    assert native.stat().st_size > 0
    assert json.loads(chrome.read_text())["traceEvents"]


def test_run_json_keeps_stdout_for_json_only(tmp_path):
    script = tmp_path / "talky.py"
    script.write_text(textwrap.dedent("""
        import asyncio, os, subprocess, sys
        print('printed while loading')
        os.write(1, b'written to fd 1\\n')
        subprocess.run([sys.executable, '-c', 'print("from a child process")'])
        async def main():
            print('hello from main')
            await asyncio.sleep(0.01)
        asyncio.run(main())
    """))
    proc = loopviz("run", "--json", "--loop", "asyncio", str(script))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    for line in ("printed while loading", "written to fd 1", "from a child process",
                 "hello from main"):
        assert line in proc.stderr
    for key in ("target", "variant", "duration_ns", "tasks", "outcomes", "longest_block_ns",
                "loop_lag_p50_ns", "loop_lag_p99_ns", "diagnostics", "findings", "exit_code"):
        assert key in summary
    assert summary["exit_code"] == 0 and summary["status"] == "finished"


def test_arguments_after_the_program_are_the_programs_own(tmp_path):
    script = tmp_path / "echo_args.py"
    script.write_text("import asyncio, sys\nprint(sys.argv)\n"
                      "asyncio.run(asyncio.sleep(0))\n")
    proc = loopviz("run", "--loop", "asyncio", str(script), "--json", "-m", "x")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{[str(script), '--json', '-m', 'x']}\n"


BAD_SCRIPTS = {
    "syntax.py": ("async def main(:\n    pass\n", "syntax.py:1: syntax error"),
    "nomain.py": ("x = 1\n", "defines no main()"),
    "sync.py": ("def main():\n    pass\n", "main is not async"),
}


@pytest.mark.parametrize("name", sorted(BAD_SCRIPTS))
def test_bad_scripts_get_one_line_and_exit_code_2(tmp_path, capsys, name):
    source, message = BAD_SCRIPTS[name]
    path = tmp_path / name
    path.write_text(source)
    assert main(["run", "--loop", "asyncio", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("args,message", [
    (["run", "no-such-demo"], "unknown demo 'no-such-demo'"),
    (["run", "missing/file.py"], "no such file"),
    (["run", "interleaving", "--timeout", "-1"], "--timeout must be positive"),
    (["run", "interleaving", "--param", "nonsense"], "NAME=VALUE"),
    (["run", "interleaving", "--variant", "sideways"], "invalid choice"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_usage_gets_one_line_and_exit_code_2(capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message.replace("must be positive", "must be a positive") in err
    assert len(err.splitlines()) == 1


def test_a_program_that_raises_exits_1_as_under_python(tmp_path, capsys):
    path = tmp_path / "raises.py"
    path.write_text(textwrap.dedent("""
        import asyncio
        async def main():
            await asyncio.sleep(0)
            raise ValueError("broken on purpose")
    """))
    assert main(["run", "--loop", "asyncio", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # the program printed nothing: stdout stays its own
    assert "raised" in captured.err and "ValueError: broken on purpose" in captured.err


@pytest.mark.parametrize("loop", ["qt", "asyncio"])
def test_sys_exit_is_the_programs_exit_status(tmp_path, capsys, loop):
    path = tmp_path / "exit_in_main.py"
    path.write_text("import sys\nasync def main():\n    sys.exit(4)\n")
    assert main(["run", "--loop", loop, str(path)]) == 4
    assert "exited" in capsys.readouterr().err


def test_sys_exit_while_loading_is_a_result_not_bad_input(tmp_path, capsys):
    path = tmp_path / "exits.py"
    path.write_text("import sys\nsys.exit(3)\n")
    assert main(["run", "--loop", "asyncio", str(path)]) == 3
    assert "exit status 3" in capsys.readouterr().err


def test_timeout_cancels_a_main_that_waits_forever(tmp_path, capsys):
    path = tmp_path / "forever.py"
    path.write_text("import asyncio\nasync def main():\n    await asyncio.Event().wait()\n")
    assert main(["run", "--timeout", "0.3", "--json", "--loop", "asyncio", str(path)]) == 130
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "timeout"
    assert summary["outcomes"].get("cancelled") == 1


def test_export_rejects_a_corrupt_trace_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.loopviz.json"
    bad.write_text('{"format": "loopviz-trace", "version": 1, "meta": {}, "tasks": 3}')
    assert main(["export", str(bad), "--chrome-trace", str(tmp_path / "c.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert "corrupt trace" in err and len(err.splitlines()) == 1


def test_the_main_task_is_named_after_the_targets_main(capsys):
    from loopviz.session import resolve, run_headless

    trace = run_headless(resolve("interleaving", None, {"rounds": 1, "pause": 0.01}),
                         loop="asyncio").trace
    (main_task,) = trace.tasks_named("main")
    assert main_task.coro == "main"


def test_run_keep_last_records_a_ring_buffer_and_says_so(tmp_path):
    script = tmp_path / "server.py"
    script.write_text("import asyncio\nasync def main():\n    for _ in range(60):\n"
                      "        await asyncio.sleep(0.005)\n")
    proc = loopviz("run", "--loop", "asyncio", "--keep-last", "0.1", str(script))
    assert proc.returncode == 0, proc.stderr
    assert "ring buffer: kept the last 0.1 s" in proc.stdout + proc.stderr
    bad = loopviz("run", "--keep-last", "0", str(script))
    assert bad.returncode == 2 and "--keep-last" in bad.stderr
