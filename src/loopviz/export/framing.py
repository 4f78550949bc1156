"""Frames: the container of the native trace file version 2 (docs/DESIGN.md), made to be
streamed: a file is a magic number and a sequence of self-contained frames, each a small
header (MessagePack, via msgspec) plus raw little-endian column bytes, compressed with zstd.

    file  = MAGIC frame*
    frame = u32 compressed_size, u32 raw_size, zstd(raw)        (little-endian sizes)
    raw   = u32 header_size, header (msgpack map), column bytes (as the header lists them)

A live stream on loopback (the wire, :class:`Stored`) may also hold *stored* frames: the
size's top bit (``STORED``) set, then raw as it is. Only readers whose :class:`Limits` say
``stored`` take them (a file never holds one).

A writer can append frames as records arrive (a spool, a socket) and a reader can take them
one at a time: memory is bounded by the largest frame, and :class:`Limits` bounds every size
a file declares before anything is allocated for it. Nothing in a frame is ever executed:
headers decode to plain maps, lists, strings and numbers; columns to numpy arrays of the
dtypes in :data:`DTYPES` only.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import msgspec
import numpy as np
import zstandard

MAGIC = b"\x89LVZ\r\n\x1a\n"
_SIZES = struct.Struct("<II")
_HEADER = struct.Struct("<I")
DTYPES: dict[str, np.dtype[Any]] = {code: np.dtype(code) for code in ("<i8", "<i4", "<u1")}
LEVEL = 3  # zstd: ~300 MB/s here; higher levels shrink traces little for much more time


STORED = 1 << 31  # a stored frame's flag, on its compressed size (frames are < 2 GiB)


class Stored:
    """Stores frames uncompressed (flagged ``STORED``): for a stream over loopback, where zstd
    (~200 MB/s here) would cost the program's process more than the bytes it saves."""

    def compress(self, raw: bytes) -> bytes:
        return raw


Compressor = zstandard.ZstdCompressor | Stored


class FrameError(ValueError):
    """A frame that is not well formed, or larger than the limits allow (one-line message)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What a reader accepts: a file declaring more is refused before it is read."""

    max_frame_bytes: int = 256 << 20  # one frame, compressed or not
    max_header_bytes: int = 64 << 20
    max_total_bytes: int = 4 << 30  # all frames, decompressed
    max_frames: int = 1 << 20
    # A decompression bomb inflates thousands of times; real traces ~10x (12x the most seen):
    # beyond a first allowance, frames may hold at most max_ratio times the bytes they take.
    max_ratio: int = 100
    ratio_allowance: int = 64 << 20
    # A version 1 (JSON) file, decompressed, and its objects and lists (counted as brackets
    # before parsing): JSON's Python objects take up to ~8x its bytes, and ~100 bytes each
    # container, so this bounds what a version 1 file can cost to ~250 MB.
    max_json_bytes: int = 16 << 20
    max_json_containers: int = 1 << 20
    stored: bool = False  # whether stored (uncompressed) frames are taken: live streams only


@dataclass(frozen=True, slots=True)
class Frame:
    header: dict[str, Any]
    columns: dict[str, np.ndarray]


def encode_frame(header: dict[str, Any], columns: dict[str, np.ndarray] | None = None,
                 compressor: Compressor | None = None) -> bytes:
    """One frame. ``columns`` are written in order; the header gets their specs. With a
    :class:`Stored` compressor, a stored frame."""
    specs, blobs = [], []
    for name, array in (columns or {}).items():
        a = np.ascontiguousarray(array)
        code = f"<{a.dtype.kind}{a.dtype.itemsize}"
        if code not in DTYPES:
            raise ValueError(f"column {name}: dtype {a.dtype} is not one a frame holds")
        specs.append([name, code, len(a)])
        blobs.append(a.astype(DTYPES[code], copy=False).tobytes())
    head = msgspec.msgpack.encode({**header, "columns": specs})
    if isinstance(compressor, Stored):
        size = _HEADER.size + len(head) + sum(len(b) for b in blobs)
        return b"".join([_SIZES.pack(size | STORED, size), _HEADER.pack(len(head)), head, *blobs])
    raw = b"".join([_HEADER.pack(len(head)), head, *blobs])
    packed = (compressor or zstandard.ZstdCompressor(level=LEVEL)).compress(raw)
    return _SIZES.pack(len(packed), len(raw)) + packed


DEFAULT_LIMITS = Limits()


def delta_encode(a: np.ndarray) -> np.ndarray:
    """A time column as its first value, then differences: sorted times compress far better.
    (Used by the trace file's and the wire's columns alike; ``np.diff(prepend=)`` costs ~50 us
    a call in broadcasting, which a served program's ticks paid for three times each.)"""
    if not len(a):
        return a
    out = np.empty(len(a), a.dtype)
    out[0] = a[0]
    np.subtract(a[1:], a[:-1], out=out[1:])
    return out


def delta_decode(a: np.ndarray) -> np.ndarray:
    """The inverse of :func:`delta_encode` (int64)."""
    return np.cumsum(a, dtype=np.int64)


def read_frames(stream: BinaryIO, limits: Limits = DEFAULT_LIMITS) -> Iterator[Frame]:
    """The frames of ``stream`` (positioned after MAGIC), one at a time."""
    dctx = zstandard.ZstdDecompressor()
    total = frames = packed_total = 0
    while True:
        sizes = stream.read(_SIZES.size)
        if not sizes:
            return
        if len(sizes) < _SIZES.size:
            raise FrameError("truncated: a frame's sizes are cut short")
        packed_size, raw_size = _SIZES.unpack(sizes)
        stored = bool(packed_size & STORED)
        if stored:
            packed_size &= ~STORED
            if not limits.stored:
                raise FrameError("an uncompressed frame, which only a live stream holds")
            if packed_size != raw_size:
                raise FrameError("corrupt frame: a stored frame's sizes differ")
        frames += 1
        total += raw_size
        if frames > limits.max_frames:
            raise FrameError(f"more than {limits.max_frames} frames")
        if max(packed_size, raw_size) > limits.max_frame_bytes:
            raise FrameError(f"a frame of {max(packed_size, raw_size)} bytes is larger than "
                             f"the limit of {limits.max_frame_bytes}")
        packed_total += packed_size
        if total > limits.max_total_bytes:
            raise FrameError(f"more than {limits.max_total_bytes} bytes of frames")
        if total > limits.ratio_allowance + limits.max_ratio * packed_total:
            raise FrameError(f"frames inflating more than {limits.max_ratio} times (a "
                             f"decompression bomb?)")
        packed = stream.read(packed_size)
        if len(packed) < packed_size:
            raise FrameError("truncated: the last frame is cut short")
        if stored:
            yield _parse(packed, limits)
            continue
        try:
            raw = dctx.decompress(packed, max_output_size=raw_size)
        except zstandard.ZstdError as exc:
            raise FrameError(f"corrupt compressed frame ({exc})") from None
        if len(raw) != raw_size:
            raise FrameError("corrupt frame: its size does not match")
        yield _parse(raw, limits)


def _parse(raw: bytes, limits: Limits) -> Frame:
    if len(raw) < _HEADER.size:
        raise FrameError("corrupt frame: no header")
    (head_size,) = _HEADER.unpack_from(raw)
    if head_size > min(limits.max_header_bytes, len(raw) - _HEADER.size):
        raise FrameError("corrupt frame: header size out of range")
    try:
        header = msgspec.msgpack.decode(raw[_HEADER.size:_HEADER.size + head_size])
    except msgspec.DecodeError as exc:
        raise FrameError(f"corrupt frame header ({exc})") from None
    except RecursionError:
        raise FrameError("corrupt frame header: nested too deeply") from None
    if not isinstance(header, dict) or not isinstance(header.get("columns", []), list):
        raise FrameError("corrupt frame header: not a map with a column list")
    columns: dict[str, np.ndarray] = {}
    at = _HEADER.size + head_size
    view = memoryview(raw)
    for spec in header.pop("columns", []):
        if not (isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str)
                and spec[1] in DTYPES and type(spec[2]) is int and spec[2] >= 0):
            raise FrameError(f"corrupt frame: bad column spec {str(spec)[:80]}")
        name, code, rows = spec
        nbytes = rows * DTYPES[code].itemsize
        if at + nbytes > len(raw) or name in columns:
            raise FrameError(f"corrupt frame: column {name!r} overruns the frame")
        columns[name] = np.frombuffer(view[at:at + nbytes], dtype=DTYPES[code])
        at += nbytes
    if at != len(raw):
        raise FrameError("corrupt frame: bytes left over after its columns")
    return Frame(header, columns)
