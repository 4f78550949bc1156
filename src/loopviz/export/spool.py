"""Reading a flight recorder's spool (docs/DESIGN.md "Native trace file", "Spool"): the file a
run's ``--trace`` holds while the run goes (``remote/flight_recorder.py`` appends to it every
~100 ms). A run that ends normally replaces it with a version 2 file; one that never got
there (``os._exit``, a kill, a crash in C) leaves the spool, which loads as the trace up to
its last flush.

    spool = SPOOL_MAGIC frame*     (frames as in version 2: ``framing``)
    frames: one ``welcome`` (the program's meta and clock, as on the wire), then ``batch``
    frames, each what the recorder learned since the previous one (``wire.Batch``)

It is read as a viewer reads the wire (a :class:`~loopviz.export.mirror.Mirror`, every
reference checked), then built and checked as any trace file. A last frame cut short is
what a killed writer leaves: everything before it stands.
"""

from __future__ import annotations

from typing import BinaryIO

from loopviz.export.checks import check_bulk, check_records, thread_ids
from loopviz.export.errors import TraceFileError
from loopviz.export.framing import FrameError, Limits, read_frames
from loopviz.export.mirror import Mirror
from loopviz.export.wire import WireError, decode_batch, read_message
from loopviz.trace import Trace
from loopviz.trace.build import build_trace

SPOOL_MAGIC = b"\x89LVS\r\n\x1a\n"
ENDING = "the run ended before loopviz saved its trace (os._exit, a kill or a crash)"


def read_spool(stream: BinaryIO, limits: Limits) -> Trace:
    """The trace a spool holds (``stream`` positioned after SPOOL_MAGIC)."""
    mirror: Mirror | None = None
    try:
        for frame in read_frames(stream, limits):
            kind = frame.header.get("frame")
            if mirror is None:
                if kind != "welcome":
                    raise TraceFileError("corrupt spool: its first frame is not 'welcome'")
                mirror = Mirror(read_message("welcome", frame.header), "spool")
            elif kind == "batch":
                mirror.apply(decode_batch(frame.header, frame.columns))
            else:
                raise TraceFileError(f"corrupt spool: unknown frame {str(kind)[:40]!r}")
    except FrameError as exc:
        if not str(exc).startswith("truncated"):
            raise TraceFileError(f"corrupt spool: {exc}") from None
    except WireError as exc:
        raise TraceFileError(f"corrupt spool: {exc}") from None
    if mirror is None:
        raise TraceFileError("an empty spool: the run ended before its first flush")
    mirror.finish(ENDING)
    rec = mirror.recorder
    rec.meta.pop("served", None)
    rec.meta["spool"] = {"ending": ENDING, "until_ns": mirror.now_ns,
                         "flushes": mirror.batches}
    trace = build_trace(rec)
    check_bulk(check_records(trace), thread_ids(trace), trace.step_table, trace.wait_table)
    return trace
