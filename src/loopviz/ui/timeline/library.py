"""Which tasks are library code: their own lanes go below the user's, in a collapsed group.

A program on aiohttp or anyio runs many tasks it never wrote (connection handlers, a
server's accept loop, ``asyncio.sleep`` wrapped in a task by a library); a lane each pushes the
user's own tasks off the screen. A task is *library* when its suspensions have no frame of user
code: the recorder gives each wait the innermost user frame (``Wait.file``), and falls back to
a library frame only when the task's whole await chain is library code. Decided from paths
alone (site-packages, dist-packages, the standard library), so a trace recorded on another
machine is grouped the same way.
"""

from __future__ import annotations

import re

from loopviz.trace import Wait

_LIBRARY_PATH = re.compile(
    r"[/\\](?:site-packages|dist-packages)[/\\]"  # installed packages
    r"|[/\\][Ll]ib[/\\]python3(?:\.\d+)?[/\\]"  # the standard library (POSIX layouts)
    r"|[/\\]Lib[/\\](?:asyncio|concurrent|threading\.py)"  # ... and Windows'
)


def is_library_file(path: str) -> bool:
    return bool(path) and _LIBRARY_PATH.search(path) is not None


def is_library_wait(w: Wait) -> bool | None:
    """True if the task was suspended with no user frame at all, False if in user code, None
    when the wait names no file (nothing to tell)."""
    return is_library_file(w.file) if w.file else None


def group_ident(parent: int | None) -> int:
    """The (negative) ident of the library group under ``parent`` (None: the top level), so
    group lanes share the collapse set with task ids (which are never negative)."""
    return -1 if parent is None else -(parent + 2)
