"""Which tasks are library code: their own lanes go below the user's, in a collapsed group.

A program on aiohttp or anyio runs many tasks it never wrote (a server's accept loop, a
request handler's task, ``asyncio.sleep`` wrapped in a task); a lane each pushes the user's own
tasks off the screen. A task is *library* when its coroutine is library code. The trace keeps
the coroutine's name (``TaskInfo.coro``) and, for each suspension, the async stack from the
outermost *user* frame on (``Wait.stack``; ``Wait.file`` is the innermost user frame, or a
library frame when the chain has none). So, from the task's first suspension:

- no user frame at all (``Wait.file`` in site-packages or the standard library): library;
- the outermost user frame is the coroutine itself (``main``, ``Crawler.fetch``), or the task is
  named after it (anyio names ``__main__.producer`` the task that runs ``producer`` through its
  own wrapper), or the program named the task: the user's;
- otherwise a library coroutine called into user code (aiohttp's
  ``RequestHandler._handle_request`` running the user's handler): library.

A task that never suspended is the user's if its coroutine is defined in the recorded program's
source (``meta["source"]``), else library when asyncio named it (``Task-17``). Paths are read
by pattern, so a trace recorded on another machine is grouped the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from loopviz.trace import Trace
from loopviz.trace.task_table import TaskTable
from loopviz.ui.timeline.ingest import KeyMap

_LIBRARY_PATH = re.compile(
    r"[/\\](?:site-packages|dist-packages)[/\\]"  # installed packages
    r"|[/\\][Ll]ib[/\\]python3(?:\.\d+)?[/\\]"  # the standard library (POSIX layouts)
    r"|[/\\]Lib[/\\](?:asyncio|concurrent|threading\.py)"  # ... and Windows'
)
_DEFAULT_NAME = re.compile(r"Task-\d+")
_UNKNOWN = -1  # a wait that tells nothing (no file): judged later
_DEFINED = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)", re.M)


def is_library_file(path: str) -> bool:
    return bool(path) and _LIBRARY_PATH.search(path) is not None


def _function(entry: str) -> str:
    """``file:line in Class.method`` -> ``Class.method``."""
    return entry.rpartition(" in ")[2]


def _last(name: str) -> str:
    return name.rpartition(".")[2]


class LibraryJudge:
    """Decides, once per task, whether its coroutine is library code (module docstring)."""

    def __init__(self, meta: dict[str, Any]) -> None:
        source = meta.get("source")
        self.defined = set(_DEFINED.findall(source)) if isinstance(source, str) else None

    def by_wait(self, name: str, coro: str, file: str, stack: Sequence[str]) -> bool | None:
        """From the first suspension (at ``file``, under the async ``stack``) of the task
        ``name`` running ``coro``; None when the wait tells nothing (no file)."""
        if not file:
            return None
        if is_library_file(file):
            return True
        outermost = _function(stack[0]) if stack else ""
        if not outermost or outermost == coro or _last(outermost) == _last(coro):
            return False
        # a name of the program's own, or after its function (anyio), makes it the user's
        return bool(_DEFAULT_NAME.fullmatch(name))

    def by_end(self, name: str, coro: str) -> bool:
        """For a task that ended without ever suspending."""
        if self.defined is None or not _DEFAULT_NAME.fullmatch(name):
            return False
        return _last(coro) not in self.defined


def group_ident(parent: int | None) -> int:
    """The (negative) ident of the library group under ``parent`` (None: the top level), so
    group lanes share the collapse set with task ids (which are never negative)."""
    return -1 if parent is None else -(parent + 2)


class Judging:
    """The timeline's verdicts (:class:`LibraryJudge`), once per task, fed a batch of waits
    at a time: a record is made for the first wait of each task not judged yet only."""

    def __init__(self) -> None:
        self.library: set[int] = set()  # tasks whose coroutine is library code
        self._judged = KeyMap()  # 1: judged
        self._suspended = KeyMap()  # 1: has waited at least once
        self._judge: LibraryJudge | None = None

    def _judge_all(self, trace: Trace, tids: np.ndarray, sites: np.ndarray | None) -> None:
        """Judge tasks ``tids`` by the ``sites`` (indexes into the wait table's sites: file,
        line, async stack) of their first waits, or (None) by their ends; reads columns,
        makes no record. A verdict depends on the coroutine, the site and whether asyncio
        named the task: each distinct triple is judged once (a 10,000-task gather has a
        handful)."""
        if self._judge is None:
            self._judge = LibraryJudge(trace.meta)
        judge, tasks, all_sites = self._judge, TaskTable.of(trace.tasks), trace.wait_table.sites
        rows = tasks.rows_of(tids)
        known = rows >= 0
        tids, rows = tids[known], rows[known]
        site_of = np.full(len(rows), -1, np.int64) if sites is None else sites[known]
        named = np.array([_DEFAULT_NAME.fullmatch(n) is not None
                          for n in tasks.name[rows].tolist()], np.int64)
        distinct, which = np.unique(np.stack([tasks.coro[rows].astype(np.int64),
                                              site_of.astype(np.int64), named]),
                                    axis=1, return_inverse=True)
        verdicts = []
        for coro_id, site, default in distinct.T.tolist():
            name, coro = "Task-1" if default else "", tasks.strings[coro_id] if coro_id >= 0 \
                else ""
            v = judge.by_end(name, coro) if site < 0 else \
                judge.by_wait(name, coro, all_sites[site][0], all_sites[site][2])
            verdicts.append(_UNKNOWN if v is None else int(v))
        verdict = np.array(verdicts, np.int8)[which.reshape(-1)]
        self._judged.set_many(tids[verdict != _UNKNOWN], 1)
        self.library.update(tids[verdict == 1].tolist())

    def suspended(self, tasks: np.ndarray) -> None:
        self._suspended.set_many(tasks, 1)

    def waits(self, trace: Trace, a: int, b: int) -> None:
        """Judge each task not judged yet by its first wait among rows [a, b)."""
        wt = trace.wait_table
        task = wt.task[a:b]
        open_ = self._judged(task) < 0
        if not open_.any():
            return
        tids, first = np.unique(task[open_], return_index=True)
        self._judge_all(trace, tids, wt.site[np.flatnonzero(open_)[first] + a])

    def ended(self, trace: Trace, task_ids: np.ndarray) -> None:
        """Tasks ended: each judged by its end if it never suspended."""
        task_ids = np.asarray(task_ids, np.int64)
        open_ = (self._judged(task_ids) < 0) & (self._suspended(task_ids) < 0)
        if open_.any():
            self._judge_all(trace, task_ids[open_], None)
