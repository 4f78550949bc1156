"""loopviz: make Python's asyncio event loop visible.

The public Python API is :func:`record`; everything heavier (Qt, the views) is imported lazily
so ``import loopviz`` stays cheap inside a user's own program.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loopviz._version import __version__

__all__ = ["__version__", "record"]

if TYPE_CHECKING:
    from loopviz.recording import Recording


def record(loop: Any = None, *, probes: bool = True,
           keep_last: float | None = None) -> Recording:
    """Instrument ``loop`` (default: the running loop) and record a trace.

    Use as a context manager inside a coroutine, or call ``start()``/``stop()`` explicitly on a
    loop that is not running yet; ``.trace`` gives the recorded :class:`loopviz.trace.Trace`.
    With ``probes=False`` nothing of loopviz's own is scheduled on the loop. ``keep_last``
    (seconds) keeps only the last so many seconds of records: a ring buffer, so a long-running
    server can be recorded in bounded memory (the trace's meta and summary say so).
    """
    from loopviz.recording import Recording

    return Recording(loop, probes=probes, keep_last=keep_last)
