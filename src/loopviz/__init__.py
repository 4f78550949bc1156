"""loopviz: make Python's asyncio event loop visible.

The public Python API is :func:`record` and :func:`serve`; everything heavier (Qt, the views)
is imported lazily so ``import loopviz`` stays cheap inside a user's own program.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loopviz._version import __version__

__all__ = ["__version__", "record", "serve"]

if TYPE_CHECKING:
    from loopviz.recording import Recording
    from loopviz.remote.serving import Serving


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


def serve(address: str = "127.0.0.1:0", *, keep_last: float = 60.0, token: str | None = None,
          allow_remote: bool = False, loop: Any = None, probes: bool = True) -> Serving:
    """Instrument ``loop`` (default: the running loop) as :func:`record` does and serve its
    live trace at ``address`` (``HOST:PORT``; loopback unless ``allow_remote`` and a
    ``token``), keeping the last ``keep_last`` seconds in a ring buffer.

    Use as a context manager (``with loopviz.serve("127.0.0.1:7341"): ...``) or
    ``start()``/``stop()``; watch with ``loopviz gui --attach 127.0.0.1:7341`` or record from
    a script with ``loopviz attach 127.0.0.1:7341 --duration 10 --trace out.loopviz``.
    """
    from loopviz.remote.serving import Serving

    return Serving(address, keep_last=keep_last, token=token, allow_remote=allow_remote,
                   loop=loop, probes=probes)
