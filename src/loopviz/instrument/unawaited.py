"""Where was a never-awaited coroutine created? Answered when CPython reports it, at no cost
to the coroutines that are awaited.

Coroutine origin tracking (``sys.set_coroutine_origin_tracking_depth``) would tell, but it
captures frames on *every* coroutine creation (each ``asyncio.sleep`` call included): depth 16
tripled the run time of a sleep(0) churn, depth 1 still cost 10-15 %. So loopviz leaves it off
and reads the answer from what the warnings hook has when the coroutine is finalized: the
coroutine's name and the frames running at that moment.

A never-awaited coroutine is finalized when its last reference goes, and that is nearly always
in (or right under) the frame that created it: ``save()`` as a statement drops it on its own
line; ``c = save()`` drops it when ``c`` is rebound or its function returns. So, innermost
first:

1. the innermost user frame's own calls of that name (``save``, ``self.save``,
   ``asyncio.sleep``: a load of the name in its bytecode): the last one at or before the
   frame's current instruction, else the first;
2. calls of it in the functions nested in that frame's code (comprehensions, lambdas);
3. calls of it in the function called on the frame's current line (``c = save()`` in a
   function that has just returned, dropping ``c``);
4. outer user frames' calls of it before their current instruction.

The bytecode scan is cached per code object and name; it only runs when a coroutine was
really lost. When origin tracking is on anyway (asyncio debug mode), the origin wins.
"""

from __future__ import annotations

import builtins
import dis
import types
from typing import Any

from loopviz.instrument.sites import is_user_code

_MAX_FRAMES = 16
_Sites = tuple[tuple[int, int], ...]  # (instruction offset, line) of each load of the name
_scans: dict[tuple[int, str], tuple[types.CodeType, _Sites]] = {}


def _loads(code: types.CodeType, name: str) -> _Sites:
    """Where ``code`` (itself, not nested code) loads ``name``: a global, a local, an attribute."""
    key = (id(code), name)
    hit = _scans.get(key)
    if hit is not None and hit[0] is code:
        return hit[1]
    out = []
    for ins in dis.get_instructions(code):
        if ins.opname.startswith("LOAD_") and ins.argval == name:
            line = ins.positions.lineno if ins.positions is not None else None
            if line is not None:
                out.append((ins.offset, line))
    sites = tuple(out)
    _scans[key] = (code, sites)  # the code is kept alive: its id is never reused meanwhile
    return sites


def _nested(code: types.CodeType, name: str, depth: int = 0) -> tuple[str, int] | None:
    for const in code.co_consts:
        if isinstance(const, types.CodeType) and depth < 4:
            sites = _loads(const, name)
            if sites:
                return const.co_filename, sites[0][1]
            found = _nested(const, name, depth + 1)
            if found is not None:
                return found
    return None


def _callee_on_line(frame: types.FrameType, name: str) -> tuple[str, int] | None:
    """A call of ``name`` inside a user function named on ``frame``'s current line."""
    line = frame.f_lineno
    for ins in dis.get_instructions(frame.f_code):
        if ins.positions is None or ins.positions.lineno != line:
            continue
        if ins.opname not in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_FAST", "LOAD_DEREF"):
            continue
        if not isinstance(ins.argval, str):
            continue
        target = frame.f_locals.get(ins.argval) if ins.opname != "LOAD_GLOBAL" else None
        if target is None:
            target = frame.f_globals.get(ins.argval, getattr(builtins, ins.argval, None))
        code = getattr(getattr(target, "__func__", target), "__code__", None)
        if isinstance(code, types.CodeType) and is_user_code(code):
            sites = _loads(code, name)
            if sites:
                return code.co_filename, sites[0][1]
    return None


def creation_site(coro: Any, frame: types.FrameType | None) -> tuple[str, int] | None:
    """file:line where ``coro`` was most likely created, searching from ``frame`` (the frame
    that was running when it was finalized) outwards; None when no user frame calls it."""
    name = getattr(coro, "__name__", None)
    if not isinstance(name, str):
        return None
    innermost = True
    for _ in range(_MAX_FRAMES):
        if frame is None:
            return None
        code = frame.f_code
        if is_user_code(code):
            sites = _loads(code, name)
            before = [line for offset, line in sites if offset <= frame.f_lasti]
            if before:
                return code.co_filename, before[-1]
            if innermost:
                found = ((code.co_filename, sites[0][1]) if sites else None) \
                    or _nested(code, name) or _callee_on_line(frame, name)
                if found is not None:
                    return found
                innermost = False
        frame = frame.f_back
    return None
