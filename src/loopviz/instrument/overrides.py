"""Per-instance method overrides on an event loop, installed and removed without ever reading
the loop's ``__dict__``.

Why: on CPython 3.11 an object's attributes live in inline "values" until something asks for
its ``__dict__``; from then on the interpreter's specialised attribute and method lookups on
that object fall back to slower paths for the rest of its life. asyncio's loop looks up its own
attributes many times per task step, so a single ``loop.__dict__`` read made every step of a
plain asyncio run ~12 % slower (measured: 0.307 s vs 0.348 s for 200 tasks × 1,000 steps),
instrumented or not. Plain ``setattr``/``delattr`` keep the inline values, but only while the
class's shared attribute keys have room: on 3.11 a plain asyncio loop has 24 attributes, and a
fourth new one made every step ~6 % slower (three did not; on 3.13, with 26, already a second
one did). So the tracker adds as few as it can, and rare methods are hooked on the class
(:func:`hook_rare`).
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable
from typing import Any


def own_override(obj: Any, name: str) -> Any:
    """The value ``obj`` itself holds for ``name`` when it shadows the class's, else None."""
    try:
        value = object.__getattribute__(obj, name)
    except AttributeError:
        return None
    cls_attr = getattr(type(obj), name, None)
    if value is cls_attr:
        return None
    bind = getattr(cls_attr, "__get__", None)
    if bind is not None and getattr(value, "__self__", None) is obj:
        try:
            if value == bind(obj, type(obj)):  # the class's own method, freshly bound
                return None
        except Exception:  # an exotic descriptor: treat what we found as an override
            pass
    return value


def save_overrides(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """What :func:`restore_overrides` needs to put ``names`` back exactly as they are now."""
    return {name: own_override(obj, name) for name in names}


def restore_overrides(obj: Any, saved: dict[str, Any]) -> None:
    """Drop our overrides of ``saved``'s names, re-installing any that were there before."""
    for name, value in saved.items():
        try:
            delattr(obj, name)
        except AttributeError:
            pass
        if value is not None:
            setattr(obj, name, value)


# ---- rare methods, hooked on the class ------------------------------------------------------
# Each instance attribute counts against the room above, whatever it hooks; a method called a few
# times a run (``run_until_complete``, ``call_soon_threadsafe``, ``run_in_executor``) is hooked
# on the object's class instead: one dispatcher per (class, name), routing the hooked objects'
# calls to their hooks and every other object's to the class's own method. The deadlock
# detector's two instance hooks made the churn's default run 0.07-0.1x slower (1.36x -> 1.29x).
_MISSING = object()
_rare_lock = threading.Lock()
# (class, name) -> (the class's own attribute before, or _MISSING; the dispatcher; the method
# it stands in front of; its hooks: id(object) -> (weak reference to the object, that object's
# hooks, the latest last))
_Hooks = dict[int, tuple[Any, list[Callable[..., Any]]]]
_rare: dict[tuple[type, str], tuple[Any, Any, Any, _Hooks]] = {}


def _class_attr(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    raise AttributeError(f"{cls.__qualname__} has no {name}")


def hook_rare(obj: Any, name: str,
              make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Callable[[], None]:
    """Make ``obj.<name>(...)`` call ``make(original)(...)`` without adding an attribute to
    ``obj`` (a hook on its class routes only ``obj``'s calls there); returns the undo.
    ``original`` is what ``obj.<name>`` called before (the class's method, or an earlier hook).
    If ``obj`` already shadows the class's method with its own, the hook replaces that instance
    attribute instead (and undo puts it back). Undo of the last hook of a (class, name) puts
    the class back as it was."""
    own = own_override(obj, name)
    if own is not None:
        setattr(obj, name, make(own))
        return lambda: setattr(obj, name, own)
    cls = type(obj)
    key = (cls, name)
    with _rare_lock:
        entry = _rare.get(key)
        if entry is None:
            raw = _class_attr(cls, name)
            hooks: _Hooks = {}

            def dispatch(self: Any, *args: Any, **kwargs: Any) -> Any:
                found = hooks.get(id(self))
                if found is not None and found[1] and found[0]() is self:
                    return found[1][-1](*args, **kwargs)
                return raw.__get__(self, type(self))(*args, **kwargs)

            functools.update_wrapper(dispatch, raw)
            entry = _rare[key] = (cls.__dict__.get(name, _MISSING), dispatch, raw, hooks)
            setattr(cls, name, dispatch)
        found = entry[3].get(id(obj))
        if found is None or found[0]() is not obj:  # a dead object's id, reused
            found = entry[3][id(obj)] = (weakref.ref(obj), [])
        chain = found[1]
        hook = make(chain[-1] if chain else entry[2].__get__(obj, cls))
        chain.append(hook)

    def undo() -> None:
        with _rare_lock:
            found = _rare.get(key)
            if found is None:
                return
            before, dispatch, _, hooks = found
            mine = hooks.get(id(obj))
            if mine is not None and hook in mine[1]:
                mine[1].remove(hook)
                if not mine[1]:
                    del hooks[id(obj)]
            if hooks:
                return
            del _rare[key]
            if cls.__dict__.get(name) is dispatch:  # else someone replaced it since: theirs
                if before is _MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, before)

    return undo
