"""A program's own task factory, composed with the tracker's instead of replacing it.

A program may call ``loop.set_task_factory(f)`` after loopviz instrumented its loop (3.12's
``asyncio.eager_task_factory``, a library's factory that names or tags tasks): asyncio would
then drop the tracker's factory and every task created after it would be invisible. While a
loop is kept here, its ``set_task_factory`` hands the program's factory to the tracker, which
stays installed and calls it with the wrapped coroutine, and ``get_task_factory`` answers what
the program set, so the program sees exactly what plain asyncio would show it.

Why on the class: per-instance overrides cost every step of a plain asyncio loop once its
shared attribute keys are full (see :mod:`loopviz.instrument.overrides`), so
``BaseEventLoop``'s two methods are replaced while at least one loop is kept, and answer as
before for every loop that is not. A loop class with its own ``set_task_factory`` (uvloop) is
not composed: there a program's factory still replaces the tracker's.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from typing import Any, Protocol

_Base = asyncio.BaseEventLoop
_ORIGINAL_SET = _Base.set_task_factory
_ORIGINAL_GET = _Base.get_task_factory
_lock = threading.Lock()


class FactoryKeeper(Protocol):
    """What keeps a loop's factory installed (the tracker)."""

    def program_factory(self) -> Callable[..., Any] | None:
        """The factory the program last set (or the one it had before instrumenting)."""

    def set_program_factory(self, factory: Callable[..., Any] | None) -> None:
        """The program set ``factory``: compose it, keep ours installed."""


_keepers: weakref.WeakKeyDictionary[Any, FactoryKeeper] = weakref.WeakKeyDictionary()


def _set_task_factory(loop: Any, factory: Callable[..., Any] | None) -> None:
    keeper = _keepers.get(loop)
    if keeper is None:
        _ORIGINAL_SET(loop, factory)
        return
    if factory is not None and not callable(factory):
        raise TypeError("task factory must be a callable or None")  # asyncio's own error
    keeper.set_program_factory(factory)


def _get_task_factory(loop: Any) -> Callable[..., Any] | None:
    keeper = _keepers.get(loop)
    return _ORIGINAL_GET(loop) if keeper is None else keeper.program_factory()


_set_task_factory.__doc__ = _ORIGINAL_SET.__doc__
_get_task_factory.__doc__ = _ORIGINAL_GET.__doc__


def install_factory(loop: Any, factory: Callable[..., Any] | None) -> None:
    """Put ``factory`` on ``loop`` itself, whether or not the loop is kept."""
    if isinstance(loop, _Base):
        _ORIGINAL_SET(loop, factory)
    else:
        loop.set_task_factory(factory)


def keep(loop: Any, keeper: FactoryKeeper) -> None:
    """From now on ``loop``'s ``set_task_factory`` goes to ``keeper`` (asyncio loops whose class
    does not define its own; others are left alone)."""
    if not isinstance(loop, _Base) or \
            type(loop).set_task_factory not in (_ORIGINAL_SET, _set_task_factory):
        return
    with _lock:
        _keepers[loop] = keeper
        setattr(_Base, "set_task_factory", _set_task_factory)  # noqa: B010 (typed differently)
        setattr(_Base, "get_task_factory", _get_task_factory)  # noqa: B010


def release(loop: Any) -> None:
    """``loop``'s factory calls are its own again; asyncio's methods are put back with the last
    kept loop (unless someone replaced them after us: then theirs stay)."""
    with _lock:
        _keepers.pop(loop, None)
        if _keepers:
            return
        if _Base.set_task_factory is _set_task_factory:
            setattr(_Base, "set_task_factory", _ORIGINAL_SET)  # noqa: B010
        if _Base.get_task_factory is _get_task_factory:
            setattr(_Base, "get_task_factory", _ORIGINAL_GET)  # noqa: B010
