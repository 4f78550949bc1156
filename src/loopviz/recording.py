"""``loopviz.record()``: instrument a loop, collect a trace, put everything back."""

from __future__ import annotations

import asyncio
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loopviz._version import __version__
from loopviz.instrument import Heartbeat, LagProbe, LoopTimerDriver, Tracker, report
from loopviz.instrument.defaults import default_instruments
from loopviz.instrument.plugin import Instruments
from loopviz.trace import Recorder, Trace
from loopviz.trace.build import build_trace
from loopviz.trace.incremental import IncrementalBuilder
from loopviz.trace.source import caller_file, source_meta


class Recording:
    """One recording of one loop. Invariant: between ``start()`` and ``stop()`` the loop is
    instrumented; after ``stop()`` it is exactly as before and ``trace`` is final."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None, *, probes: bool = True,
                 recorder: Recorder | None = None, meta: dict[str, Any] | None = None,
                 heartbeat: bool = True, diagnostics: bool | None = None,
                 keep_last: float | None = None) -> None:
        """``keep_last``: seconds; keep only the records of the last so many (a ring buffer,
        for long runs in bounded memory; the trace's meta says what was dropped)."""
        self._loop = loop
        self.probes = probes
        self.recorder = recorder or Recorder(keep_last_s=keep_last)
        self.recorder.meta.update({
            "target": "", "variant": None, "python": sys.version.split()[0],
            "platform": platform.platform(), "loop": "", "loopviz": __version__,
            **(meta or {}),
        })
        # The program being recorded, so a saved trace opens with its own code: the Session
        # names its target's file; loopviz.record() takes the file of the code that called it.
        meta = self.recorder.meta
        program = meta.get("source_file") or caller_file()
        if program and "source_sha256" not in meta:
            meta.update(source_meta(program))
            if not meta.get("target"):
                meta["target"] = meta["source_file"]
        self.heartbeat = Heartbeat(self.recorder) if probes else None
        self._drive_heartbeat = heartbeat
        self.tracker: Tracker | None = None
        self._probes: list[Any] = []
        self._trace: Trace | None = None
        # A live builder already following this recording (the desktop app's views): the final
        # trace is then its next build, so the end of a run builds only what it had not read.
        self.builder: IncrementalBuilder | None = None
        # How that builder reads the rest when the run ends (the desktop app: a slice at a
        # time with its events handled between, so the window never freezes); default: at once.
        self.catch_up: Callable[[IncrementalBuilder], Trace] | None = None
        # Watchdog, lost work, deadlock hooks (no runaway abort in a user's own program).
        # Default: on with probes; a Session passes False and runs them as its plugins.
        self.diagnostics = probes if diagnostics is None else diagnostics
        self._diagnostics = Instruments()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    @loop.setter
    def loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop to record, when it was not known at construction (set before start())."""
        if self.tracker is not None:
            raise RuntimeError("the recording has started: its loop is fixed")
        self._loop = loop

    def start(self) -> Recording:
        loop = self.loop
        self.recorder.start_clock()
        self.recorder.meta["loop"] = self.recorder.meta.get("loop") or type(loop).__name__
        call_later = loop.call_later  # before the hooks: probes are not user callbacks
        self.tracker = Tracker(loop, self.recorder)
        self.tracker.install()
        if self.probes:
            self._probes.append(LagProbe(loop, self.recorder, call_later=call_later))
            if self._drive_heartbeat and self.heartbeat is not None:
                self._probes.append(LoopTimerDriver(loop, self.heartbeat, call_later=call_later))
            for probe in self._probes:
                probe.start()
        report.register(self.recorder, self.tracker.loop_ident)
        if self.diagnostics and loop.is_running():  # a loop not yet running has no pulse yet
            self._diagnostics = Instruments(default_instruments())
            self._diagnostics.install(self)
        return self

    def pause(self) -> None:
        """The recorded thread is outside the loop (a program's top level between its loop runs):
        no heartbeat is expected, so its absence is no stall, and the probes' timers wait."""
        if self.heartbeat is not None:
            self.heartbeat.pause()
        for probe in self._probes:
            probe.stop()

    def resume(self) -> None:
        """The loop runs again (undoes :meth:`pause`)."""
        if self.heartbeat is not None:
            self.heartbeat.resume()
        if self.tracker is not None:
            self.tracker.hook_libraries()  # imported by the program since start()
        for probe in self._probes:
            probe.stop()
            probe.start()

    def stop(self) -> Trace:
        """Put the loop back and build the final trace."""
        self.detach()
        builder, catch_up = self.builder, self.catch_up
        if builder is None:
            self._trace = build_trace(self.recorder)
        else:
            self._trace = catch_up(builder) if catch_up is not None else builder.build()
        return self._trace

    def detach(self) -> None:
        """Put the loop back, without building a trace (``trace`` builds one when asked):
        a served program's ``stop`` must not pay for a trace nobody reads."""
        self._diagnostics.uninstall()
        report.unregister(self.recorder)
        for probe in self._probes:
            probe.stop()
        self._probes.clear()
        if self.tracker is not None:
            self.tracker.uninstall()
        self.recorder.trim()
        self.recorder.finished_ns = self.recorder.t0 + self.recorder.now()

    @property
    def trace(self) -> Trace:
        """The final trace after ``stop()``; a snapshot of what is recorded so far before it."""
        return self._trace if self._trace is not None else build_trace(self.recorder)

    def save(self, path: str | Path) -> Path:
        from loopviz.export.native import save_trace

        return save_trace(self.trace, path)

    def __enter__(self) -> Recording:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
