"""Where is a task suspended, and on what? Answered by walking its ``cr_await`` chain once per
suspension: the innermost frame of *user* code gives file:line, the innermost library frame
names the primitive (``Queue.get``, ``Lock.acquire``...). Per-code-object caches keep it cheap.
"""

from __future__ import annotations

import os
import sysconfig
import types
from typing import Any

from loopviz import _cpython

_COROUTINE = types.CoroutineType
_GENERATOR = types.GeneratorType
# The stdlib, site-packages, and the scripts folder: console scripts (``bin/loopviz``) are
# launchers, never the user's code.
_LIB_DIRS = tuple(
    os.path.normcase(os.path.realpath(p)) + os.sep
    for p in {sysconfig.get_paths()[k]
              for k in ("stdlib", "platstdlib", "purelib", "platlib", "scripts")}
)
# The stdlib alone: a library task's place is its innermost frame outside it (aiohttp's, not
# the asyncio internals aiohttp awaits).
_STDLIB_DIRS = tuple(
    os.path.normcase(os.path.realpath(p)) + os.sep
    for p in {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib")}
)
# loopviz's package folder (this file is loopviz/instrument/sites.py); ends with os.sep.
PKG_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__))) + os.sep
# All of loopviz is "library" (its machinery, CLI and UI), except its demos: they are the user
# code the app shows (that is what they teach).
_DEMOS_DIR = os.path.join(PKG_DIR, "demos") + os.sep
_SCRIPT_NAMES = frozenset({"loopviz", "loopviz.exe", "loopviz-script.py"})  # console scripts

# Keyed by id(code): hashing a code object re-hashes its name, bytecode and constants on every
# lookup (~120 ns), far too slow per step. The code objects are kept alive in _kept so an id is
# never reused while cached.
_user_cache: dict[int, bool] = {}
_kept: list[types.CodeType] = []

# Library coroutine (co_qualname) → (wait kind, label). A suspension is classified by the
# *outermost* library frame of its await chain found here (what the program called:
# ``Queue.join``, not the ``Event.wait`` inside it), except the WEAK ones, which yield to a
# match further in (``wait_for(queue.get(), 1)`` waits on the queue). Third-party names are
# those of the libraries' own classes (aiohttp's and anyio's), matched by qualname.
_SOCKET_CALLS = ("sock_recv", "sock_recv_into", "sock_recvfrom", "sock_recvfrom_into",
                 "sock_sendall", "sock_sendto", "sock_connect", "sock_accept", "sock_sendfile")
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
    # asyncio's own coroutines whose names are private or changed between versions: see
    # loopviz._cpython (both TaskGroup forms, asyncio.wait's inner _wait, as_completed).
    **{name: ("task", "TaskGroup") for name in _cpython.TASKGROUP_WAITS},
    **{name: ("task", "asyncio.wait") for name in _cpython.WAIT_FUNCTIONS},
    **{name: ("task", "as_completed") for name in _cpython.AS_COMPLETED_WAITS},
    "wait_for": ("task", "wait_for"),
    "to_thread": ("executor", "to_thread"),
    f"AsyncIOBackend.{_cpython.ANYIO_WORKER_ENTRY}": ("executor", "to_thread.run_sync"),  # anyio
    # streams (a StreamReader on a pipe is a "pipe" wait: see Tracker.classify_future)
    **{f"StreamReader.{m}": ("stream", f"StreamReader.{m}")
       for m in ("read", "readline", "readexactly", "readuntil", "readany", "readchunk")},
    "StreamWriter.drain": ("stream", "StreamWriter.drain"),
    "StreamWriter.wait_closed": ("stream", "StreamWriter.wait_closed"),
    "open_connection": ("socket", "open_connection"),
    "open_unix_connection": ("socket", "open_unix_connection"),
    "Server.serve_forever": ("socket", "Server.serve_forever"),
    "Server.wait_closed": ("socket", "Server.wait_closed"),
    "BaseEventLoop.create_connection": ("socket", "create_connection"),
    **{f"{cls}.{m}": ("socket", m) for m in _SOCKET_CALLS
       for cls in ("BaseEventLoop", "BaseSelectorEventLoop", "BaseProactorEventLoop")},
    "SocketStream.receive": ("socket", "SocketStream.receive"),  # anyio (httpx's transport)
    "SocketStream.send": ("socket", "SocketStream.send"),
    "RequestHandler.start": ("socket", "RequestHandler.start"),  # aiohttp: a keep-alive wait
    "BaseEventLoop.connect_read_pipe": ("pipe", "connect_read_pipe"),
    "BaseEventLoop.connect_write_pipe": ("pipe", "connect_write_pipe"),
    # subprocesses
    "Process.wait": ("subprocess", "Process.wait"),
    "Process.communicate": ("subprocess", "Process.communicate"),
    "create_subprocess_exec": ("subprocess", "create_subprocess_exec"),
    "create_subprocess_shell": ("subprocess", "create_subprocess_shell"),
}
WEAK: frozenset[str] = frozenset({"wait_for"})


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
    if path.startswith(PKG_DIR):
        return path.startswith(_DEMOS_DIR)
    return not path.startswith(_LIB_DIRS)


def is_loopviz_file(filename: str) -> bool:
    """loopviz's own code (its machinery, CLI and UI, and its console script; not its demos):
    never user code, never in a program's stack or traceback."""
    if filename.startswith("<"):
        return False
    path = os.path.normcase(os.path.realpath(filename))
    if path.startswith(PKG_DIR):
        return not path.startswith(_DEMOS_DIR)
    return os.path.basename(path) in _SCRIPT_NAMES and path.startswith(_LIB_DIRS)


_own_cache: dict[int, bool] = {}


def is_loopviz_code(code: types.CodeType) -> bool:
    """:func:`is_loopviz_file` for a code object, cached like :func:`is_user_code`."""
    cached = _own_cache.get(id(code))
    return _judge(_own_cache, is_loopviz_file, code) if cached is None else cached


def _judge(cache: dict[int, bool], judge: Any, code: types.CodeType) -> bool:
    """``judge(code.co_filename)``, remembered by ``id(code)`` (the code is kept alive)."""
    verdict: bool = judge(code.co_filename)
    cache[id(code)] = verdict
    _kept.append(code)
    return verdict


def is_stdlib_file(filename: str) -> bool:
    if filename.startswith("<"):
        return True  # frozen modules are the stdlib's
    return os.path.normcase(os.path.realpath(filename)).startswith(_STDLIB_DIRS)


def is_user_code(code: types.CodeType) -> bool:
    """:func:`is_user_file` for a code object, cached by ``id(code)`` (the hot path)."""
    cached = _user_cache.get(id(code))
    return _judge(_user_cache, is_user_file, code) if cached is None else cached


def frames_of(coro: Any) -> list[types.FrameType]:
    """The async stack of a suspended coroutine, outermost first, without loopviz's own frames
    (views ask; not hot)."""
    out = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        frame = frame or getattr(coro, "ag_frame", None)
        if frame is None:
            break
        if not is_loopviz_code(frame.f_code):
            out.append(frame)
        coro = (getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
                or getattr(coro, "ag_await", None))
    return out


def walk(coro: Any) -> tuple[list[types.FrameType], list[types.FrameType],
                             types.FrameType | None]:
    """(the user frames of a suspended coroutine chain, outermost first; its library frames,
    outermost first; the library frame the innermost user frame called, i.e. what the user's
    code awaits, or the outermost library frame if it has no user frame). loopviz's own frames
    (a demo's exit guard, the anyio job wrapper) are in neither list. The last user frame is
    where the task's own code is suspended."""
    users: list[types.FrameType] = []
    libs: list[types.FrameType] = []
    called = None
    user_cache = _user_cache
    own_cache = _own_cache
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
            called = None
        else:
            own = own_cache.get(id(code))
            if own is None:
                own = is_loopviz_code(code)
            if not own:
                libs.append(frame)
                if called is None:
                    called = frame
        coro = nxt
    return users, libs, called


def primitive_of(libs: list[types.FrameType]) -> tuple[types.FrameType, str, str] | None:
    """(frame, kind, label) of the outermost library frame that names a wait (see PRIMITIVES;
    a WEAK one only if nothing further in does)."""
    weak = None
    for frame in libs:
        name = frame.f_code.co_qualname
        found = PRIMITIVES.get(name)
        if found is not None:
            if name not in WEAK:
                return frame, found[0], found[1]
            if weak is None:
                weak = (frame, found[0], found[1])
    return weak


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
    """``file:line in function`` for a thread's stack, innermost last, without loopviz's own
    frames (whoever started the program: the CLI, the session, the window)."""
    out: list[str] = []
    while frame is not None and len(out) < limit:
        if not is_loopviz_code(frame.f_code):
            out.append(frame_line(frame))
        frame = frame.f_back
    out.reverse()
    return out
