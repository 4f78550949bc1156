"""A user's program runs as ``python`` runs it: once, as ``__main__``, with its own argv, path
and module, and its own ``asyncio.run`` (or Runner, or loop) driving loopviz's loop."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from pathlib import Path

import pytest

from loopviz.session import Session, TargetError, new_loop, resolve, run_headless


def write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def run(path: Path, *args: str, loop: str = "asyncio", **kw):
    return run_headless(resolve(str(path), args=args), loop=loop, **kw)


def test_the_program_sees_what_python_gives_it(tmp_path, capsys):
    (tmp_path / "helper_mod.py").write_text("VALUE = 'helper imported'\n")
    path = write(tmp_path, "prog.py", """
        import asyncio, json, sys, helper_mod
        async def main():
            await asyncio.sleep(0)
        asyncio.run(main())
        print(json.dumps({"argv": sys.argv, "path0": sys.path[0], "name": __name__,
                          "file": __file__, "main": sys.modules["__main__"].__dict__ is globals(),
                          "helper": helper_mod.VALUE}))
    """)
    result = run(path, "a", "--b")
    seen = json.loads(capsys.readouterr().out)
    assert seen == {"argv": [str(path), "a", "--b"], "path0": str(tmp_path.resolve()),
                    "name": "__main__", "file": str(path), "main": True,
                    "helper": "helper imported"}
    assert result.status == "finished" and result.exit_code == 0


def test_everything_the_program_could_change_is_put_back(tmp_path):
    (tmp_path / "helper_mod.py").write_text("X = 1\n")
    path = write(tmp_path, "prog.py", """
        import asyncio, sys, helper_mod
        sys.argv.append("mine"); sys.path.insert(0, "/nowhere"); sys.excepthook = print
        asyncio.run(asyncio.sleep(0))
    """)
    before = (sys.argv[:], sys.path[:], sys.modules["__main__"], sys.excepthook,
              asyncio.get_event_loop_policy())
    run(path)
    assert (sys.argv, sys.path, sys.modules["__main__"], sys.excepthook,
            asyncio.get_event_loop_policy()) == before
    assert "helper_mod" not in sys.modules  # the next run imports it afresh, as python would


def test_module_code_runs_once_and_each_asyncio_run_is_recorded_in_order(tmp_path, capsys):
    path = write(tmp_path, "prog.py", """
        import asyncio
        print("module code")
        async def work(n):
            await asyncio.sleep(0.01)
            return n
        async def main(n):
            return await asyncio.gather(work(n), work(n + 1))
        if __name__ == "__main__":
            print(asyncio.run(main(1)))
            print(asyncio.run(main(10)))
    """)
    result = run(path, loop="qt")
    assert capsys.readouterr().out == "module code\n[1, 2]\n[10, 11]\n"
    mains = [t for t in result.trace.tasks if t.coro == "main"]
    assert len(mains) == 2 and mains[0].ended_ns <= mains[1].created_ns
    assert all(t.file == str(path) for t in mains)  # created at the program's asyncio.run line


def test_runner_and_a_loop_the_program_makes_are_loopviz_loops(tmp_path, capsys):
    path = write(tmp_path, "prog.py", """
        import asyncio
        async def tick(name):
            await asyncio.sleep(0.01)
            print(name)
        with asyncio.Runner() as runner:
            runner.run(tick("runner"))
        loop = asyncio.new_event_loop()
        loop.run_until_complete(tick("run_until_complete"))
        loop.create_task(tick("run_forever"))
        loop.call_later(0.05, loop.stop)
        loop.run_forever()
        loop.close()
        print("closed", loop.is_closed())
    """)
    result = run(path, loop="qt")
    assert capsys.readouterr().out == "runner\nrun_until_complete\nrun_forever\nclosed True\n"
    assert [t.coro for t in result.trace.tasks if t.coro == "tick"] == ["tick"] * 3


def test_the_programs_loop_carries_only_the_two_hot_hooks_while_it_runs(tmp_path, capsys):
    """Every attribute added to an asyncio loop past its fast layout's room costs every step
    (instrument/overrides.py): everything rare is hooked on the class, for this loop alone."""
    path = write(tmp_path, "prog.py", """
        import asyncio
        async def main():
            fresh = asyncio.new_event_loop()  # asked inside a running loop: asyncio's own
            print(sorted(set(vars(asyncio.get_running_loop())) - set(vars(fresh))))
            fresh.close()
        asyncio.run(main())
    """)
    loop_class = asyncio.SelectorEventLoop  # what new_loop("asyncio") makes here
    before = dict(vars(loop_class))
    result = run(path, diagnostics=True)
    assert result.status == "finished"
    assert capsys.readouterr().out == "['call_at', 'call_soon']\n"
    assert dict(vars(loop_class)) == before, "the class is put back"


def test_a_loop_on_another_thread_is_the_programs_own_and_still_works(tmp_path, capsys):
    path = write(tmp_path, "prog.py", """
        import asyncio, threading
        async def other():
            await asyncio.sleep(0)
            print("thread loop ran")
        t = threading.Thread(target=asyncio.run, args=(other(),))
        t.start(); t.join()
        async def main():
            await asyncio.sleep(0)
        asyncio.run(main())
    """)
    result = run(path)
    assert capsys.readouterr().out == "thread loop ran\n"
    assert [t.coro for t in result.trace.tasks if t.coro in ("main", "other")] == ["main"]


def test_functions_of_the_program_pickle_by_reference(tmp_path, capsys):
    path = write(tmp_path, "prog.py", """
        import asyncio, pickle
        def job(x):
            return x * 2
        async def main():
            print(pickle.loads(pickle.dumps(job))(21))
        asyncio.run(main())
    """)
    run(path)
    assert capsys.readouterr().out == "42\n"


def test_cancel_is_ctrl_c_for_the_program(tmp_path, capsys):  # the Qt loop's: test_window_programs
    path = write(tmp_path, "server.py", """
        import asyncio
        async def serve():
            try:
                await asyncio.Event().wait()
            finally:
                print("server closed")
        try:
            asyncio.run(serve())
        except KeyboardInterrupt:
            print("interrupted")
    """)
    target = resolve(str(path))
    ev_loop = new_loop("asyncio")
    session = Session(target, timeout=0.3)
    try:
        result = session.run_program(ev_loop)
    finally:
        ev_loop.close()
    assert capsys.readouterr().out == "server closed\ninterrupted\n"
    assert result.status == "finished"  # the program handled its Ctrl-C
    assert [t.outcome for t in result.trace.tasks if t.coro == "serve"] == ["cancelled"]


def test_a_program_stopped_at_the_time_limit_says_so(tmp_path):
    path = write(tmp_path, "forever.py", """
        import asyncio
        loop = asyncio.new_event_loop()
        loop.run_forever()
    """)
    result = run(path, timeout=0.3)
    assert result.status == "timeout" and result.exit_code == 130


def test_a_program_that_never_starts_a_loop_is_bad_input(tmp_path):
    result = run(write(tmp_path, "plain.py", "print('hi')\n"))
    assert result.status == "bad-input" and "defines no main()" in result.error


def test_resolving_a_program_runs_nothing_of_it(tmp_path, capsys):
    path = write(tmp_path, "prog.py", "print('ran')\nimport asyncio\n")
    target = resolve(str(path), args=("x",))
    assert capsys.readouterr().out == "" and target.program.args == ("x",)
    with pytest.raises(TargetError, match="syntax error"):
        resolve(str(write(tmp_path, "bad.py", "def (:\n")))


def test_a_module_runs_as_python_dash_m_runs_it(tmp_path, capsys, monkeypatch):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "tool.py").write_text(textwrap.dedent("""
        import asyncio, sys
        async def main():
            await asyncio.sleep(0)
            print(__name__, __package__, sys.argv[1:])
        asyncio.run(main())
    """))
    monkeypatch.chdir(tmp_path)
    result = run_headless(resolve("pkg.tool", module=True, args=("-v",)), loop="asyncio")
    assert capsys.readouterr().out == "__main__ pkg ['-v']\n"
    assert result.exit_code == 0
    with pytest.raises(TargetError, match="No module named"):
        resolve("pkg.nothing", module=True)
