"""Plain loop callbacks (not task steps) as the tracker times them, and the code behind one.

Why apart from ``tracker``: a timed callback is a small object of its own that the tracker's
``call_soon``/``call_later`` hooks hand to the loop instead of the user's callback; it needs
only where to record (a :class:`CallbackSink`), not the tracker.

Contract: :class:`TimedCallback` calls the callback with the same arguments and returns what it
returns; its run is appended to ``recorder.callbacks`` as ``(thread, start, end, label)`` even
when it raises. ``repr`` is the callback's, so asyncio's debug messages name the user's code.
"""

from __future__ import annotations

import time
import types
from collections.abc import Callable
from typing import Any, Protocol

from loopviz.instrument.jobs import callable_name
from loopviz.trace.recorder import Recorder

__all__ = ["CallbackSink", "TimedCallback", "code_of"]

_now = time.monotonic_ns
_FUNCTION, _METHOD = types.FunctionType, types.MethodType


class CallbackSink(Protocol):
    """Where a timed callback records its run (the Tracker)."""

    recorder: Recorder

    def thread_of_step(self) -> int: ...


def code_of(fn: Any) -> Any:
    """The code object behind a callable, or None (C callables have none). Dispatches on the
    type first: the failed ``getattr`` of the generic path costs an exception inside."""
    kind = type(fn)
    if kind is _FUNCTION:
        return fn.__code__
    if kind is _METHOD:
        return fn.__func__.__code__
    fn = getattr(fn, "__func__", fn)
    return getattr(fn, "__code__", None)


class TimedCallback:
    """A plain callback wrapped so its run is recorded as a loop-lane segment."""

    __slots__ = ("fn", "label", "sink")

    def __init__(self, fn: Callable[..., Any], sink: CallbackSink) -> None:
        self.fn = fn
        self.sink = sink
        self.label = callable_name(fn)

    def __call__(self, *args: Any) -> Any:
        start = _now()
        try:
            return self.fn(*args)
        finally:
            sink = self.sink
            sink.recorder.callbacks.append((sink.thread_of_step(), start, _now(), self.label))

    def __repr__(self) -> str:
        return repr(self.fn)
