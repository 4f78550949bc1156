"""The flight recorder: a run's ``--trace`` file is written while the run goes, so that an
ending loopviz never sees (``os._exit``, ``kill -9``, a Qt abort, a time limit's kill of a
program stuck in C) still leaves a loadable trace up to the last flush, ~100 ms before.

A thread of its own appends to the file every ``interval`` seconds what the recorder learned
since the last flush, as the wire's batches (``export/spool.py`` has the format and reads it
back): one read under the recorder's lock (the same :class:`Streamer` a served program uses),
zstd without the GIL, one ``write``. The program's thread pays nothing but that lock. A run
that ends normally stops the recorder and saves the whole trace over the spool (atomically:
the file is always one or the other).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import BinaryIO

import zstandard

from loopviz._version import __version__
from loopviz.export.framing import LEVEL
from loopviz.export.spool import SPOOL_MAGIC
from loopviz.export.wire import Welcome, encode_batch, message
from loopviz.instrument.plugin import RecordingView
from loopviz.remote.stream import Streamer
from loopviz.trace.recorder import Recorder

INTERVAL_S = 0.1
IDLE_FLUSH_S = 1.0  # nothing new: the end time is still moved on, this often
DUTY = 20  # the wait after a flush: at least this many times what it took


class FlightRecorder:
    def __init__(self, recorder: Recorder, path: str | Path,
                 interval: float = INTERVAL_S) -> None:
        self.recorder, self.path, self.interval = recorder, Path(path), interval
        self._streamer = Streamer(recorder)
        self._cctx = zstandard.ZstdCompressor(level=LEVEL)
        self._file: BinaryIO | None = None
        self._welcomed = False
        self._last_write = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loopviz-flight-recorder",
                                        daemon=True)
        self.flushes = 0

    def open(self) -> FlightRecorder:
        """Opens (truncates) the file: OSError if it cannot be written."""
        self._file = self.path.open("wb")
        self._file.write(SPOOL_MAGIC)
        self._file.flush()
        return self

    # ---- an Instrument: on the loop's thread, as the run starts and ends -----------------
    def install(self, recording: RecordingView) -> None:
        """The first flush now, before the program's first line (a program that then holds
        the GIL for good still leaves its meta and tasks); then every ``interval``."""
        self.flush()
        self._thread.start()

    def uninstall(self) -> None:
        """The last flush, as the recording ends (the saved trace comes after)."""
        self._halt()
        self.flush()

    def close(self, *, keep: bool) -> None:
        """Done: ``keep`` False removes the file (nothing ran: bad input)."""
        self._halt()
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
        if not keep:
            self.path.unlink(missing_ok=True)

    def _halt(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        wait = self.interval
        while not self._stop.wait(wait):
            took = time.perf_counter()
            try:
                self.flush()
            except OSError:  # the disk is full or gone: the run goes on, unrecorded here
                return
            # A very busy run's flushes take longer: they get at most 1/DUTY of the time
            # (and of the GIL's), so the recorder falls further behind, not the program.
            wait = max(self.interval, DUTY * (time.perf_counter() - took))

    def flush(self) -> None:
        """Append what is new (the welcome first, once the recording has started)."""
        rec, out = self.recorder, self._file
        if out is None or out.closed:
            return
        if not self._welcomed:
            keep = rec.keep_last_ns
            out.write(message("welcome", Welcome(
                __version__, os.getpid(), rec.now(), rec.started_at,
                None if keep is None else keep / 1e9, self.interval, rec.loop_thread,
                dict(rec.meta)), self._cctx))
            self._welcomed = True
        batch = self._streamer.collect(rec.now())
        now = time.monotonic()
        if not batch.records() and now - self._last_write < IDLE_FLUSH_S:
            return
        out.write(b"".join(encode_batch(batch, self._cctx)))
        out.flush()  # in the kernel's hands: an os._exit or a kill -9 loses nothing written
        self._last_write = now
        self.flushes += 1


def open_flight_recorder(recorder: Recorder, path: str | None) -> FlightRecorder | None:
    """A flight recorder for ``--trace PATH``, its file open, to pass to the run as a plugin
    (None without one, or if PATH cannot be opened now: the final save says why, in one
    line, as before)."""
    if not path:
        return None
    try:
        return FlightRecorder(recorder, path).open()
    except OSError:
        return None
