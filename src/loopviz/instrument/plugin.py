"""The one protocol for what runs beside a recording: the diagnostics (watchdog, deadlock,
lost work, runaway guard), and the session's heartbeat timer, Qt message capture and flight
recorder.

An :class:`Instrument` is installed on a recording once its loop is instrumented and uninstalled
before the loop is put back. :class:`Instruments` is the one place that calls them, as trio's
instrumentation does: in order on the way in, in reverse on the way out (the watchdog, first,
is observed by the others and so stops last), and an instrument whose hook raises is logged in
one line and left out, so a broken plugin never loses the run or its trace.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from loopviz.instrument.probes import Heartbeat
    from loopviz.instrument.tracker import Tracker
    from loopviz.trace import Recorder


class RecordingView(Protocol):
    """What an instrument sees of the recording it is installed on (``loopviz.Recording``)."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...

    @property
    def recorder(self) -> Recorder: ...

    @property
    def tracker(self) -> Tracker | None: ...

    @property
    def heartbeat(self) -> Heartbeat | None: ...


class Instrument(Protocol):
    """Runs beside a recording, on the recorded loop's thread. ``install`` may decline (do
    nothing) when the recording lacks what it needs (no heartbeat, no tracker); ``uninstall``
    undoes whatever ``install`` did, and nothing when it did nothing."""

    def install(self, recording: RecordingView) -> None: ...

    def uninstall(self) -> None: ...


def _log(instrument: Instrument, hook: str, exc: BaseException) -> None:
    print(f"loopviz: {type(instrument).__name__}.{hook} failed and was removed: {exc!r}",
          file=sys.stderr)


class Instruments:
    """A recording's instruments. Invariant: ``installed`` are those whose ``install``
    returned, in order; :meth:`uninstall` empties it whatever the hooks do."""

    def __init__(self, instruments: Iterable[Instrument] = ()) -> None:
        self.all = list(instruments)
        self.installed: list[Instrument] = []

    def install(self, recording: RecordingView) -> None:
        for instrument in self.all:
            try:
                instrument.install(recording)
            except Exception as exc:
                _log(instrument, "install", exc)
                try:  # whatever it had done before it raised
                    instrument.uninstall()
                except Exception:
                    pass
            else:
                self.installed.append(instrument)

    def uninstall(self) -> None:
        while self.installed:
            instrument = self.installed.pop()
            try:
                instrument.uninstall()
            except Exception as exc:
                _log(instrument, "uninstall", exc)
