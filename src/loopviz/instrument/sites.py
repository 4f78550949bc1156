"""Where is a task suspended, and on what? Answered by walking its ``cr_await`` chain once per
suspension: the innermost frame of *user* code gives file:line, the innermost library frame
names the primitive (``Queue.get``, ``Lock.acquire``...). Per-code-object caches keep it cheap.
"""

from __future__ import annotations

import os
import sysconfig
import types
from typing import Any

_COROUTINE = types.CoroutineType
_GENERATOR = types.GeneratorType
_LIB_DIRS = tuple(
    os.path.normcase(os.path.realpath(p)) + os.sep
    for p in {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
)
# loopviz's package folder (this file is loopviz/instrument/sites.py).
_PKG_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__))) + os.sep
# All of loopviz is "library" (its machinery, CLI and UI), except its demos: they are the user
# code the app shows (that is what they teach).
_DEMOS_DIR = os.path.join(_PKG_DIR, "demos") + os.sep

# Keyed by id(code): hashing a code object re-hashes its name, bytecode and constants on every
# lookup (~120 ns), far too slow per step. The code objects are kept alive in _kept so an id is
# never reused while cached.
_user_cache: dict[int, bool] = {}
_kept: list[types.CodeType] = []

# Library coroutine (co_qualname) → (wait kind, label).
PRIMITIVES: dict[str, tuple[str, str]] = {
    "sleep": ("sleep", "asyncio.sleep"),
    "Queue.get": ("queue", "Queue.get"),
    "Queue.put": ("queue", "Queue.put"),
    "Queue.join": ("queue", "Queue.join"),
    "Lock.acquire": ("lock", "Lock.acquire"),
    "Condition.wait": ("lock", "Condition.wait"),
    "Semaphore.acquire": ("semaphore", "Semaphore.acquire"),
    "BoundedSemaphore.acquire": ("semaphore", "Semaphore.acquire"),
    "Event.wait": ("event", "Event.wait"),
    "Barrier.wait": ("event", "Barrier.wait"),
    "TaskGroup.__aexit__": ("task", "TaskGroup"),
    "_wait": ("task", "asyncio.wait"),
    "wait": ("task", "asyncio.wait"),
    "wait_for": ("task", "wait_for"),
    "to_thread": ("executor", "to_thread"),
}


def is_user_file(filename: str) -> bool:
    """True for files outside the stdlib, site-packages and loopviz (loopviz's demos count as
    user code). The one rule for code objects, tracebacks and coroutine origins alike."""
    if filename == "<string>":
        return True
    if filename.startswith("<") or not os.path.isfile(filename):
        # Not a file on disk: a frozen or zip-embedded library module (PySide6 loads its
        # support code as 'shibokensupport/feature.py', a relative name that realpath would
        # otherwise place in the current directory, i.e. in "user" code).
        return False
    path = os.path.normcase(os.path.realpath(filename))
    if path.startswith(_PKG_DIR):
        return path.startswith(_DEMOS_DIR)
    return not path.startswith(_LIB_DIRS)


def is_loopviz_file(filename: str) -> bool:
    """loopviz's own code (its machinery, CLI and UI; not its demos): never user code, never in
    a program's stack or traceback."""
    if filename.startswith("<"):
        return False
    path = os.path.normcase(os.path.realpath(filename))
    return path.startswith(_PKG_DIR) and not path.startswith(_DEMOS_DIR)


def is_user_code(code: types.CodeType) -> bool:
    """:func:`is_user_file` for a code object, cached by ``id(code)`` (the hot path)."""
    cached = _user_cache.get(id(code))
    if cached is None:
        cached = is_user_file(code.co_filename)
        _kept.append(code)
        _user_cache[id(code)] = cached
    return cached


def frames_of(coro: Any) -> list[types.FrameType]:
    """The async stack of a suspended coroutine, outermost first (views ask; not hot)."""
    out = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        frame = frame or getattr(coro, "ag_frame", None)
        if frame is None:
            break
        out.append(frame)
        coro = (getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
                or getattr(coro, "ag_await", None))
    return out


def walk(coro: Any) -> tuple[list[types.FrameType], types.FrameType | None,
                             types.FrameType | None]:
    """(the user frames of a suspended coroutine chain, outermost first; the innermost library
    frame, which names the primitive; the outermost library frame, i.e. what the user's code
    called). The last user frame is where the task's own code is suspended."""
    users: list[types.FrameType] = []
    lib = first_lib = None
    user_cache = _user_cache
    while True:
        t = type(coro)
        if t is _COROUTINE:
            frame = coro.cr_frame
            nxt = coro.cr_await
        elif t is _GENERATOR:
            frame = coro.gi_frame
            nxt = coro.gi_yieldfrom
        else:
            frame = getattr(coro, "cr_frame", None)  # our proxy, or a foreign coroutine type
            if frame is None:
                break
            nxt = getattr(coro, "cr_await", None)
        if frame is None:
            break
        code = frame.f_code
        u = user_cache.get(id(code))
        if u is None:
            u = is_user_code(code)
        if u:
            users.append(frame)
        else:
            lib = frame
            if first_lib is None:
                first_lib = frame
        coro = nxt
    return users, lib, first_lib


def chain_key(frames: list[types.FrameType]) -> tuple[int, ...]:
    """Identity of an await chain: (code id, f_lasti) of each frame, flattened."""
    key: tuple[int, ...] = ()
    for f in frames:
        key += (id(f.f_code), f.f_lasti)
    return key


def frame_line(frame: types.FrameType) -> str:
    """``file:line in function``: how a stack entry reads in the trace."""
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_qualname}"


def current_stack_summary(frame: types.FrameType | None, limit: int = 30) -> list[str]:
    """``file:line in function`` for a thread's stack, innermost last."""
    out = []
    while frame is not None and len(out) < limit:
        out.append(frame_line(frame))
        frame = frame.f_back
    out.reverse()
    return out
