"""Immutable trace records: the vocabulary every other layer speaks.

Times are integer nanoseconds since the trace started. Records mirror the native file format
(docs/DESIGN.md) one to one, so saving is ``dataclasses.asdict`` and loading is ``Record(**d)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

# What a suspended task waits on. "sleep" covers asyncio.sleep (delay 0 included), "task" an
# await on other tasks (one, or the children of gather/TaskGroup/wait/as_completed); I/O is
# "socket" (the loop's sock_* calls, connecting, a server's connection waiting for a request),
# "stream" (a StreamReader/StreamWriter on a socket), "pipe" (one on a child process's pipe),
# "subprocess" (a child process starting or ending). Added later, after "other": a file
# written before them never names them, and one written after loads where they are known.
WaitKind = Literal[
    "sleep", "task", "future", "executor", "queue", "lock", "semaphore", "event", "other",
    "socket", "stream", "pipe", "subprocess",
]
Outcome = Literal["result", "exception", "cancelled", "pending"]
"""How a task ended ("pending": not yet, or never seen to)."""
ThreadRole = Literal["ui-loop", "executor", "other"]
DiagnosticKind = Literal[
    "blocked-loop", "deadlock", "exception-never-retrieved", "never-awaited",
    "wrong-thread-ui", "runaway-aborted", "task-collected-pending", "nested-run",
]
Culprit = Literal["user", "loopviz", "qt", "loop", "gc", "unknown"]
"""Whose code a block was stuck in (see instrument/watchdog.py)."""

# The same, as tuples (an index is a file's code for a wait kind or an outcome: append only).
WAIT_KINDS: tuple[WaitKind, ...] = get_args(WaitKind)
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
THREAD_ROLES: tuple[ThreadRole, ...] = get_args(ThreadRole)
DIAGNOSTIC_KINDS: tuple[DiagnosticKind, ...] = get_args(DiagnosticKind)
CULPRITS: tuple[Culprit, ...] = get_args(Culprit)


@dataclass(frozen=True, slots=True)
class ThreadInfo:
    id: int
    name: str
    role: ThreadRole


@dataclass(frozen=True, slots=True)
class TaskInfo:
    """One asyncio task's life. ``file``/``line`` is where it was created."""

    id: int
    name: str
    coro: str
    parent: int | None
    created_ns: int
    ended_ns: int | None
    outcome: Outcome
    exception: str | None
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class Step:
    """One ``send``/``throw`` into a task's coroutine: the task *runs* in [start_ns, end_ns]."""

    task: int
    start_ns: int
    end_ns: int
    thread: int


@dataclass(frozen=True, slots=True)
class Wait:
    """A suspension between two steps of one task.

    Invariant: ``start_ns <= ready_ns <= end_ns``; [start, ready) is *waiting*, [ready, end) is
    *ready* (runnable, but the loop had not got to it yet). ``end_ns`` is None while the task is
    still suspended (a live or unfinished trace). ``stack`` is the task's async stack while
    suspended here: ``file:line in function`` of each of its own frames, outermost first, then
    the library frame it waits in (e.g. ``queues.py:158 in Queue.get``).
    """

    task: int
    start_ns: int
    ready_ns: int | None
    due_ns: int | None
    end_ns: int | None
    kind: WaitKind
    targets: tuple[int, ...]
    label: str
    file: str
    line: int
    stack: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Block:
    """The UI/loop thread stuck in one place for longer than the watchdog threshold."""

    thread: int
    start_ns: int
    end_ns: int
    file: str
    line: int
    function: str
    stack: tuple[str, ...] = ()
    task: int | None = None
    culprit: Culprit = "user"


@dataclass(frozen=True, slots=True)
class Job:
    """An executor job (``to_thread``/``run_in_executor``); ``task`` is the awaiting task."""

    thread: int | None
    task: int | None
    function: str
    submitted_ns: int
    start_ns: int | None
    end_ns: int | None


@dataclass(frozen=True, slots=True)
class Callback:
    """A plain loop callback (not a task step), or loopviz's own work (label ``loopviz: ...``)."""

    thread: int
    start_ns: int
    end_ns: int
    label: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """``count``: how many times the same site reported it (one record per site, not per
    call: a thread calling the UI 292 times is one diagnostic ``count=292``, ``× 292``)."""

    t_ns: int
    kind: DiagnosticKind
    message: str
    task: int | None = None
    file: str = ""
    line: int = 0
    count: int = 1


@dataclass(frozen=True, slots=True)
class Finding:
    """A sentence a demo's ``check(trace)`` derives from the run, with the numbers it proved."""

    text: str
    ok: bool = True
    data: dict[str, float] = field(default_factory=dict, hash=False, compare=False)

    def __str__(self) -> str:
        return self.text


def outcome_named(text: str) -> Outcome:
    """``text`` as an :data:`Outcome` (a task table's or a file's string); ValueError for any
    other string (a trace file's loader checks first and says so in one line)."""
    for outcome in OUTCOMES:
        if outcome == text:
            return outcome
    raise ValueError(f"not a task outcome: {text!r}")
