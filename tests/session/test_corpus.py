"""Real programs (the asyncio documentation's examples verbatim, aiohttp, httpx, aiosqlite,
anyio, aiofiles, subprocesses, process pools), each run under plain ``python`` and under
``loopviz run`` side by side: the same output lines and exit status, and a trace that records
their tasks with the right waits and blames nothing on loopviz.

Servers listen on 127.0.0.1 on ephemeral ports; each program ends by itself in a few seconds.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from loopviz.export import load_trace
from loopviz.instrument.sites import is_loopviz_file
from loopviz.trace import Trace
from loopviz.trace.names import short_coro

PROGRAMS = Path(__file__).parent / "corpus"
SUMMARY = "loopviz · "  # the first line of loopviz's summary, after the program's own stderr


def exact(text: str) -> list[str]:
    return text.splitlines()


def clock_masked(text: str) -> list[str]:
    """Wall-clock times and dates differ between two runs of the same program."""
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?", "<datetime>", text)
    return re.sub(r"\b\d\d:\d\d:\d\d\b", "<time>", text).splitlines()


def numbers_masked_sorted(text: str) -> list[str]:
    """Random durations and the order they finish in differ between two runs."""
    return sorted(re.sub(r"\d+(\.\d+)?", "N", line) for line in text.splitlines())


@dataclass(frozen=True)
class Program:
    args: tuple[str, ...] = ()
    exit_code: int = 0
    same: Callable[[str], list[str]] = exact
    checks: tuple[Callable[[Trace], None], ...] = field(default=())


# ---- what each trace must show --------------------------------------------------------------
def waits(trace: Trace, kind: str, label: str | None = None) -> list:
    """The waits of ``kind`` on ``label`` (a trace's label may add detail: ``asyncio.sleep
    50 ms``, ``TaskGroup Task-3, Task-2``)."""
    return [w for w in trace.waits if w.kind == kind
            and (label is None or w.label == label or w.label.startswith(label + " "))]


def has_wait(kind: str, label: str) -> Callable[[Trace], None]:
    def check(trace: Trace) -> None:
        seen = sorted({(w.kind, w.label) for w in trace.waits})
        assert waits(trace, kind, label), f"no {kind} wait on {label}; waits: {seen}"
    check.__name__ = f"wait {kind} {label}"
    return check


def tasks_running(function: str, at_least: int = 1) -> Callable[[Trace], None]:
    """At least ``at_least`` tasks run ``function`` (their coroutine, or the name a library
    such as anyio gave them: ``__main__.producer``)."""
    def check(trace: Trace) -> None:
        found = [t for t in trace.tasks if function in (short_coro(t.coro),
                                                        t.name.rpartition(".")[2])]
        assert len(found) >= at_least, (function, sorted({t.coro for t in trace.tasks}))
    check.__name__ = f"tasks {function}"
    return check


# On 3.12+ aiohttp makes its handler tasks with ``asyncio.Task(coro, loop=loop,
# eager_start=True)``, which no task factory sees: loopviz does not record them there yet (a
# known gap, named in the closing note); its clients' tasks and the output still match.
HANDLER_TASKS: tuple[Callable[[Trace], None], ...] = (
    tasks_running("RequestHandler.start", 1), has_wait("socket", "RequestHandler.start"),
) if sys.version_info < (3, 12) else ()


def jobs_of(function: str, on_thread: str | None = None) -> Callable[[Trace], None]:
    def check(trace: Trace) -> None:
        jobs = [j for j in trace.jobs if j.function == function]
        assert jobs, (function, sorted({j.function for j in trace.jobs}))
        if on_thread is not None:  # a thread's name, or the start of a worker process's
            names = {t.id: t.name for t in trace.threads}
            assert {names.get(j.thread, "")[:len(on_thread)] for j in jobs} == {on_thread}
    check.__name__ = f"jobs {function}"
    return check


def task_group_edges(trace: Trace) -> None:
    group = waits(trace, "task", "TaskGroup")
    assert group and len(group[0].targets) == 2
    assert {t.coro for t in trace.tasks if t.id in group[0].targets} == {"say_after"}


def blocked_at_marked_line(name: str) -> Callable[[Trace], None]:
    def check(trace: Trace) -> None:
        lines = (PROGRAMS / name).read_text().splitlines()
        line = next(i for i, text in enumerate(lines, 1) if "<- blocks the loop" in text)
        block = trace.longest_block()
        assert block is not None and (Path(block.file).name, block.line) == (name, line)
        assert block.culprit == "user" and block.function == "time.sleep"
    check.__name__ = "blocked at its line"
    return check


CORPUS: dict[str, Program] = {
    "docs_taskgroup.py": Program(same=clock_masked, checks=(
        tasks_running("say_after", 2), task_group_edges)),
    "docs_queue.py": Program(same=numbers_masked_sorted, checks=(
        has_wait("queue", "Queue.join"), has_wait("queue", "Queue.get"),
        tasks_running("worker", 3))),
    "docs_streams_socketpair.py": Program(checks=(has_wait("stream", "StreamReader.read"),)),
    "docs_subprocess_shell.py": Program(checks=(
        has_wait("subprocess", "Process.communicate"), has_wait("pipe", "StreamReader.read"))),
    "docs_subprocess_date.py": Program(same=clock_masked, checks=(
        has_wait("pipe", "StreamReader.readline"),
        has_wait("subprocess", "create_subprocess_exec"))),
    "aiohttp_server_clients.py": Program(checks=(
        *HANDLER_TASKS, tasks_running("client", 4))),
    "httpx_client.py": Program(checks=(
        tasks_running("fetch", 50), has_wait("socket", "SocketStream.receive"))),
    "aiosqlite_queries.py": Program(checks=(
        tasks_running("total_from", 3), has_wait("future", "Connection._execute"))),
    "anyio_taskgroup.py": Program(checks=(
        tasks_running("producer"), tasks_running("consumer"),
        jobs_of("slow_square", "AnyIO worker thread"))),
    "aiofiles_blocking.py": Program(checks=(
        blocked_at_marked_line("aiofiles_blocking.py"), jobs_of("open"),
        tasks_running("ticker"))),
    "subprocess_pipeline.py": Program(checks=(
        has_wait("pipe", "StreamReader.readline"), has_wait("pipe", "StreamWriter.wait_closed"),
        has_wait("subprocess", "create_subprocess_exec"), has_wait("subprocess", "Process.wait"),
        tasks_running("pump"))),
    "process_pool.py": Program(checks=(
        jobs_of("count_primes", "ForkProcess-" if sys.platform == "linux" and sys.version_info
                < (3, 14) else None), has_wait("task", "gather"))),
    "multiprocessing_spawn.py": Program(checks=(jobs_of("Pool.map", "asyncio_0"),)),
    "thread_names.py": Program(checks=(
        jobs_of("whoami"), has_wait("executor", "whoami"))),
    "argv_and_helper.py": Program(args=("ada", "grace", "--repeat", "2"),
                                  checks=(tasks_running("main"),)),
    "runner_and_loops.py": Program(checks=(tasks_running("tick", 4),)),
    "exits_with_status.py": Program(exit_code=3, checks=(tasks_running("main"),)),
    "raises_in_task.py": Program(exit_code=1, checks=(tasks_running("parse"),)),
}


def nothing_blamed_on_loopviz(trace: Trace) -> None:
    """No place, stack line or culprit in the trace is loopviz's own code."""
    def own(text: str) -> bool:
        return is_loopviz_file(text.split(":", 1)[0]) if text else False

    places = [("task", t.name, t.file) for t in trace.tasks if own(t.file)]
    places += [("wait", w.label, w.file) for w in trace.waits if own(w.file)]
    places += [("wait stack", w.label, line) for w in trace.waits for line in w.stack
               if own(line)]
    places += [("block", b.function, b.file) for b in trace.blocks
               if own(b.file) or b.culprit == "loopviz"]
    places += [("block stack", b.function, line) for b in trace.blocks for line in b.stack
               if own(line)]
    places += [("diagnostic", d.kind, d.file) for d in trace.diagnostics if own(d.file)]
    assert not places, places[:5]


def run_both(path: Path, args: tuple[str, ...], trace: Path,
             cwd: Path) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    commands = ([sys.executable, str(path), *args],
                [sys.executable, "-m", "loopviz", "run", "--trace", str(trace), str(path), *args])
    with ThreadPoolExecutor(2) as pool:  # side by side: the corpus costs the slower of the two
        plain, under = pool.map(lambda cmd: subprocess.run(
            cmd, capture_output=True, text=True, timeout=90, cwd=cwd), commands)
    return plain, under


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_real_program_behaves_as_under_python(name, tmp_path):
    spec = CORPUS[name]
    trace_path = tmp_path / "run.loopviz.json.gz"
    plain, under = run_both(PROGRAMS / name, spec.args, trace_path, tmp_path)
    assert plain.returncode == spec.exit_code, plain.stderr
    own_stderr, _, summary = under.stderr.partition(SUMMARY)
    assert summary, f"no loopviz summary on stderr: {under.stderr[-2000:]}"
    assert under.returncode == plain.returncode, under.stderr[-3000:]
    assert spec.same(under.stdout) == spec.same(plain.stdout)
    assert spec.same(own_stderr) == spec.same(plain.stderr)
    trace = load_trace(trace_path)
    nothing_blamed_on_loopviz(trace)
    for check in spec.checks:
        check(trace)
