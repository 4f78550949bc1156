"""The supervising process of ``loopviz run --timeout N``: the last step of the time limit.

Inside the process, :mod:`loopviz.session.time_limit` ends everything that runs Python code.
A C call that holds the GIL (``sum(range(10**11))``) or a blocking call that is never
interrupted cannot be ended from inside, so with a time limit ``loopviz run`` runs itself as a
child and this parent (it imports no Qt and runs nothing of the program's) waits for it:

- the child reports on a pipe: ``started IDENT`` (its main thread), ``where FILE:LINE`` (the
  program's line when the limit struck), ``ended`` (the run is over,
  loopviz is saving), ``done CODE`` (loopviz is finished: the process may only be waiting for
  threads the program left behind);
- ``KILL_AFTER_S`` past the limit from the command's start, a child that has not ended is
  asked for its stacks (SIGUSR2, answered by ``faulthandler`` in C, without the GIL) and
  killed; the parent then prints the summary the child could not (status ``timeout``, where
  the program was), so the command still ends within N + 5 s with exit code 0;
- after ``ended`` the child gets ``AFTER_END_S`` to save, after ``done`` ``EXIT_WAIT_S`` to
  exit; then it is killed and the code it reported is the command's.

Ctrl+C reaches both processes (one process group): the child handles it, the parent ignores
it and keeps its deadline. POSIX only: elsewhere the run is not supervised.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

ENV = "LOOPVIZ_SUPERVISOR"  # "STATUS_FD:DUMP_FD" in the child
KILL_AFTER_S = 4.0  # in-process, a program's interrupted clean-up may take ~3 s past the limit
DUMP_WAIT_S = 0.2
AFTER_END_S = 60.0
EXIT_WAIT_S = 2.0

__all__ = ["Outcome", "can_supervise", "child_setup", "notify", "supervise", "supervised"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the supervised command ended: its exit code, and the summary the parent made for a
    child it had to kill before the run ended (None when the child printed its own)."""

    code: int
    summary: dict[str, Any] | None = None


def can_supervise() -> bool:
    return os.name == "posix" and hasattr(signal, "SIGUSR2")


def demo_named(spec: str | None) -> Any:
    """The demo ``spec`` names, or None (a program: nothing of it is run to find out)."""
    from loopviz.demos import get_demo

    try:
        return get_demo(spec) if spec else None
    except KeyError:
        return None


def supervised() -> bool:
    """True in the child of a supervised run."""
    return ENV in os.environ


# ---- the child ------------------------------------------------------------------------------
_status_fd: int | None = None


def child_setup() -> None:
    """In the child: answer SIGUSR2 with every thread's stack (C handler, no GIL needed) and
    say which thread is the main one."""
    global _status_fd
    value = os.environ.pop(ENV, "")
    status, _, dump = value.partition(":")
    if not status.isdigit() or not dump.isdigit():
        return
    _status_fd = int(status)
    faulthandler.register(signal.SIGUSR2, file=int(dump), all_threads=True, chain=False)
    import threading

    notify(f"started {threading.main_thread().ident}")


def notify(event: str) -> None:
    """Tell the supervising parent (nothing when not supervised)."""
    if _status_fd is not None:
        with contextlib.suppress(OSError):
            os.write(_status_fd, f"{event}\n".encode())


# ---- the parent -----------------------------------------------------------------------------
def supervise(argv: list[str], timeout: float, *, target: str, variant: str | None,
              started: float | None = None, command: list[str] | None = None) -> Outcome:
    """Run ``python -m loopviz ARGV`` as a supervised child (see the module docstring);
    ``started``: when the command began (``time.monotonic()``), the deadline's origin;
    ``command``: what runs instead of ``python -m loopviz`` (tests)."""
    start = time.monotonic() if started is None else started
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryFile(prefix="loopviz-stacks-") as dump:
        env = {**os.environ, ENV: f"{write_fd}:{dump.fileno()}"}
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            child = subprocess.Popen([*(command or [sys.executable, "-m", "loopviz"]), *argv],
                                     env=env, pass_fds=(write_fd, dump.fileno()))
            os.close(write_fd)
            events = _watch(child, read_fd, start + timeout + KILL_AFTER_S, _Events())
            stuck = child.poll() is None and not events.ended
            if stuck:
                _dump_and_freeze(child, read_fd, events)
                stuck = not events.ended
                if not stuck:  # its run ended meanwhile: it goes on, watched as any other
                    with contextlib.suppress(ProcessLookupError):
                        child.send_signal(signal.SIGCONT)
                    _watch(child, read_fd, time.monotonic() + AFTER_END_S, events)
            if not stuck:
                if child.poll() is not None:
                    return Outcome(child.returncode if events.code is None else events.code)
                _kill(child)  # loopviz's own saving or exit overran: its summary is printed
                return Outcome(events.code if events.code is not None else 0)
            _kill(child)
            dump.seek(0)
            text = dump.read(1 << 20).decode("utf-8", "replace")
        finally:
            os.close(read_fd)
            signal.signal(signal.SIGINT, previous)
    where = _where(text, events.ident) or events.where
    return Outcome(0, killed_summary(target, variant, timeout, where,
                                     int((time.monotonic() - start) * 1e9)))


def _dump_and_freeze(child: subprocess.Popen[bytes], read_fd: int, events: _Events) -> None:
    """Ask the child for its stacks, then freeze it and read what it said till then: frozen,
    it can say nothing more, so a child that ended its run meanwhile (and prints its own
    summary: it must be the only one, --json is one document) is told from one to kill."""
    for sig in (signal.SIGUSR2, signal.SIGSTOP):
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(sig)
        if sig == signal.SIGUSR2:
            time.sleep(DUMP_WAIT_S)
    _watch(child, read_fd, 0.0, events, drain=True)


@dataclass(slots=True)
class _Events:
    ident: int = 0
    where: str | None = None  # the program's line at the limit, as the child saw it
    ended: bool = False
    code: int | None = None
    pending: bytes = b""  # a line the child has not finished writing


def _watch(child: subprocess.Popen[bytes], read_fd: int, deadline: float, events: _Events, *,
           drain: bool = False) -> _Events:
    """Read the child's reports into ``events`` until ``deadline`` (moved on by ``ended`` and
    ``done``) or its exit; with ``drain``, only what is already written, waiting for nothing."""
    while True:
        wait = 0.0 if drain else deadline - time.monotonic()
        if wait < 0:
            return events
        ready, _, _ = select.select([read_fd], [], [], wait)
        if not ready:
            if drain:
                return events
            continue
        chunk = os.read(read_fd, 4096)
        if not chunk:  # the child exited (or closed our pipe): wait for its status
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=0 if drain else max(0.0, deadline - time.monotonic()))
            return events
        *lines, events.pending = (events.pending + chunk).split(b"\n")
        for line in lines:
            word, _, arg = line.decode("ascii", "replace").partition(" ")
            if word == "started" and arg.isdigit():
                events.ident = int(arg)
            elif word == "where" and arg:
                events.where = arg
            elif word == "ended":
                events.ended = True
                deadline = time.monotonic() + AFTER_END_S
            elif word == "done" and arg.lstrip("-").isdigit():
                events.ended, events.code = True, int(arg)
                deadline = time.monotonic() + EXIT_WAIT_S


def _kill(child: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        child.kill()
    child.wait()


def _where(dump: str, ident: int) -> str | None:
    from loopviz.instrument.watchdog import parse_dump
    from loopviz.trace.wording import place

    sample = parse_dump(dump, ident, 0, None) if ident else None
    if sample is None or sample.culprit != "user":  # an idle loop: no line of the program's
        return None
    return place(sample.file, sample.line)


def killed_summary(target: str, variant: str | None, timeout: float, where: str | None,
                   duration_ns: int) -> dict[str, Any]:
    """The summary of a run the parent had to kill: the shape of ``RunResult.summary()``."""
    from loopviz.trace import Trace

    out = Trace(meta={}, duration_ns=duration_ns).summary()
    at = f" at {where}" if where else ""
    out.update(target=target, variant=variant, status="timeout", where=where, findings=[],
               in_flight_max=0, facts=[],
               error=f"killed at the time limit of {timeout:g} s: still running{at}, in code "
                     f"loopviz cannot interrupt (a C call holding the GIL, or a blocking "
                     f"call); no trace was kept")
    return out
