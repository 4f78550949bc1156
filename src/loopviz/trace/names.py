"""What a lane is called, derived from the trace alone (the UI and exports say the same).

A task keeps the name it was given; one that asyncio named (``Task-17``) gets what it runs
after it, ``Task-17 · RequestHandler.start``, since a bare number tells a reader nothing. A
thread keeps its own name (``asyncio_0``, a pool's ``thread_name_prefix``, ``AnyIO worker
thread``); the thread running the loop is the UI thread.
"""

from __future__ import annotations

import re

_ASYNCIO_DEFAULT = re.compile(r"Task-\d+\Z")
UI_THREAD = "UI thread"


def short_coro(coro: str) -> str:
    """``outer.<locals>.inner`` → ``inner``: the function a reader looks for."""
    return coro.rpartition("<locals>.")[2] if "<locals>." in coro else coro


def task_lane_name(name: str, coro: str) -> str:
    if not name:
        return short_coro(coro) or "Task"
    if coro and _ASYNCIO_DEFAULT.match(name):
        return f"{name} · {short_coro(coro)}"
    return name


def task_short_name(name: str, coro: str) -> str:
    """The one word a reader knows a task by: its given name, else what it runs (``main``)."""
    if coro and (not name or _ASYNCIO_DEFAULT.match(name)):
        return short_coro(coro)
    return name or "Task"


def thread_lane_name(name: str, role: str) -> str:
    return UI_THREAD if role == "ui-loop" else name
