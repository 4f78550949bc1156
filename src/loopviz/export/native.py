"""The native trace file (docs/DESIGN.md "Native trace file"): save writes version 2 (columns
in zstd frames: :mod:`.native_v2`), load reads version 2 and the JSON of version 1
(:mod:`.native_v1`), and a flight recorder's spool (:mod:`.spool`: a run that never saved),
telling them apart by their first bytes, whatever the file is called.

Loading never executes anything from the file (no pickle, no eval): frames decode to plain
values and numpy arrays of fixed dtypes, JSON to plain values; every field is type-checked
and every reference validated, and anything else is a :class:`TraceFileError` with one line.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import BinaryIO

from loopviz.export import native_v1, native_v2, native_v2_read
from loopviz.export.errors import TraceFileError
from loopviz.export.framing import DEFAULT_LIMITS, MAGIC, Limits
from loopviz.export.native_v1 import trace_from_dict
from loopviz.export.spool import SPOOL_MAGIC, read_spool
from loopviz.trace import Trace

SUFFIX = ".loopviz"
__all__ = ["SUFFIX", "TraceFileError", "load_trace", "save_trace", "trace_from_dict"]


def save_trace(trace: Trace, path: str | Path) -> Path:
    """Write ``trace`` as a version 2 file (any name; ``.loopviz`` is the usual one) in one
    pass. Never leaves a half-written trace under the real name. Returns the path."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("wb") as out:
            native_v2.write(trace, out)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_trace(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> Trace:
    """Read a trace file of either version; :class:`TraceFileError` for anything else."""
    path = Path(path)
    try:
        with path.open("rb") as stream:
            head = stream.read(len(MAGIC))
            if head == MAGIC:
                return native_v2_read.read(stream, limits)
            if head == SPOOL_MAGIC:  # a run's --trace before its end: the flight recorder's
                return read_spool(stream, limits)
            return _load_v1(head + _read_limited(stream, limits.max_json_bytes), limits)
    except FileNotFoundError:
        raise TraceFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise TraceFileError(f"{path}: is a folder, not a trace file") from None
    except OSError as exc:
        raise TraceFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except TraceFileError as exc:
        raise TraceFileError(f"{path}: {exc}") from None


def _read_limited(stream: BinaryIO, limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TraceFileError(f"a version 1 (JSON) trace larger than {limit} bytes")
    return data


def _load_v1(raw: bytes, limits: Limits) -> Trace:
    if raw[:2] == b"\x1f\x8b":
        try:
            d = zlib.decompressobj(wbits=31)
            raw = d.decompress(raw, limits.max_json_bytes)
            if not d.eof and not d.unconsumed_tail:
                raise TraceFileError("corrupt gzip data (the file is cut short)")
            if d.unconsumed_tail:
                raise TraceFileError(f"a version 1 (JSON) trace larger than "
                                     f"{limits.max_json_bytes} bytes decompressed")
        except zlib.error as exc:
            raise TraceFileError(f"corrupt gzip data ({exc})") from None
    return native_v1.load_v1(raw, limits.max_json_containers)

