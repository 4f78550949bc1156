"""``loopviz.serve()``: record the running loop as ``loopviz.record()`` does, in a ring buffer
(the last ``keep_last`` seconds), and serve it live to viewers (``loopviz gui --attach``,
``loopviz attach``) from a thread of its own.

Costs: with no viewer, what ``record(keep_last=...)`` costs plus an idle thread; with
viewers, the server thread's ticks (docs/BENCHMARKS.md has the figures). The program never
waits for a viewer. If the program exits without ``stop()``, viewers still get an ``end``.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import sys
from typing import Any

from loopviz.recording import Recording
from loopviz.remote.address import check_exposure, parse_address
from loopviz.remote.server import Server
from loopviz.trace import Recorder, Trace

DEFAULT_KEEP_LAST_S = 60.0
TOKEN_ENV = "LOOPVIZ_TOKEN"


def token_from_env(token: str | None) -> str | None:
    """An explicit token, else ``$LOOPVIZ_TOKEN`` (keeps it off the command line), else None."""
    return token if token is not None else (os.environ.get(TOKEN_ENV) or None)


def serving_line(address: str, keep_last: float, token: bool) -> str:
    hint = " --token …" if token else ""
    return (f"loopviz: serving this program's event loop at {address} (the last "
            f"{keep_last:g} s); watch it with: loopviz gui --attach {address}{hint}")


def open_server(recorder: Recorder, address: str, *, token: str | None = None,
                allow_remote: bool = False, interval: float = 0.1) -> Server:
    """A server for ``recorder`` at ``address`` (not started), after the exposure rules:
    :class:`~loopviz.remote.address.AddressError` (one line) for a bad address, or one beyond
    loopback without ``allow_remote`` and a token (``token`` or ``$LOOPVIZ_TOKEN``)."""
    where = parse_address(address, allow_any_port=True)
    token = token_from_env(token)
    check_exposure(where, allow_remote=allow_remote, token=token)
    recorder.clock_shared = True  # a viewer may attach before the recording starts
    return Server(recorder, where, token=token, interval=interval)


def serve_recorder(address: str, *, keep_last: float | None = None, token: str | None = None,
                   allow_remote: bool = False) -> tuple[Recorder, Server]:
    """A ring-buffered recorder (``keep_last`` seconds, default 60) and its server, started,
    with the serving line on stderr (``loopviz run --serve``). AddressError: one line."""
    keep = keep_last or DEFAULT_KEEP_LAST_S
    recorder = Recorder(keep_last_s=keep)
    server = open_server(recorder, address, token=token, allow_remote=allow_remote).start()
    print(serving_line(str(server.bound), keep, bool(server.token)), file=sys.stderr,
          flush=True)
    return recorder, server


class Serving:
    """Invariant: between ``start()`` and ``stop()`` the loop is instrumented and the server
    accepts viewers; after ``stop()`` viewers got an ``end`` and the loop is as before."""

    def __init__(self, address: str = "127.0.0.1:0", *, keep_last: float = DEFAULT_KEEP_LAST_S,
                 token: str | None = None, allow_remote: bool = False,
                 loop: asyncio.AbstractEventLoop | None = None, probes: bool = True,
                 interval: float = 0.1, quiet: bool = False) -> None:
        """``address``: ``HOST:PORT`` (a bare ``PORT`` is loopback; port 0 lets the system
        choose: see ``address`` once started). Any host but loopback needs ``allow_remote``
        and a ``token`` (or ``$LOOPVIZ_TOKEN``) that viewers must present."""
        if not keep_last > 0:
            raise ValueError("keep_last must be a positive number of seconds")
        self.keep_last = keep_last
        self.quiet = quiet
        recorder = Recorder(keep_last_s=keep_last)
        self.server = open_server(recorder, address, token=token, allow_remote=allow_remote,
                                  interval=interval)
        self.recording = Recording(loop, probes=probes, recorder=recorder)
        self._started = False

    @property
    def address(self) -> str:
        """``HOST:PORT`` as viewers reach it (the real port once started)."""
        return str(self.server.bound)

    @property
    def port(self) -> int:
        return self.server.bound.port

    @property
    def viewers(self) -> int:
        return self.server.viewers

    @property
    def trace(self) -> Trace:
        """What the ring buffer holds now (the last ``keep_last`` seconds)."""
        return self.recording.trace

    def start(self) -> Serving:
        self.server.start()  # a bad or busy address fails here, before the loop is touched
        try:
            self.recording.start()
        except BaseException:
            self.server.stop()
            raise
        self._started = True
        atexit.register(self._at_exit)
        if not self.quiet:
            print(serving_line(self.address, self.keep_last, bool(self.server.token)),
                  file=sys.stderr, flush=True)
        return self

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        atexit.unregister(self._at_exit)
        self.recording.detach()
        self.server.stop("stopped", "the program stopped serving")

    def _at_exit(self) -> None:
        self.server.stop("exited", "the program exited")

    def __enter__(self) -> Serving:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
