"""A seeded mutator of real trace files, for the fuzz tests: ``mutant(data, fmt, rng)`` is the
file ``data`` (``v1`` JSON, ``v2`` or ``spool`` frames) changed in one to three places, at the
level where a change gets furthest into a reader: raw bytes (a damaged disk or download), a value
of the JSON document, a value of a frame's header or a cell of its columns (re-compressed, so
the change passes zstd and reaches the checks), or whole frames dropped, repeated, swapped.
The same ``random.Random(seed)`` gives the same mutant, so a failure names its seed.
"""

from __future__ import annotations

import io
import json
import random
from typing import Any

import numpy as np

from loopviz.export.framing import MAGIC, encode_frame, read_frames

INTS = [0, -1, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 62, 2 ** 63 - 1, -2 ** 63, 2 ** 64 - 1, 10 ** 30]
VALUES: list[Any] = [*INTS, None, "", "x" * 300, 1e309, -1e309, 0.5, True, [], {}, [[[[]]]],
                     {"frame": "meta"}, "loopviz-trace", 2, 1]


def mutant(data: bytes, fmt: str, rng: random.Random) -> bytes:
    for _ in range(rng.randint(1, 3)):
        level = rng.random()
        if level < 0.25:
            data = _bytes(data, rng)
        elif fmt == "v1":
            data = _json(data, rng)
        elif level < 0.45:
            data = _frames(data, rng)
        else:
            data = _frame_values(data, rng)
    return data


def _bytes(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    at = rng.randrange(len(data))
    how = rng.randrange(5)
    if how == 0:  # flip a bit
        return data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1:]
    if how == 1:  # an extreme byte
        return data[:at] + bytes([rng.choice([0, 0x7F, 0x80, 0xFF])]) + data[at + 1:]
    if how == 2:  # cut short
        return data[:at]
    span = data[at:at + rng.randint(1, 64)]
    if how == 3:  # a span repeated
        return data[:at] + span * rng.randint(2, 8) + data[at:]
    return data[:at] + data[at + len(span):]  # a span removed


def _json(data: bytes, rng: random.Random) -> bytes:
    try:
        doc = json.loads(data)
    except ValueError:
        return _bytes(data, rng)
    nodes: list[tuple[Any, Any]] = []  # (container, key) of every value
    todo = [doc]
    while todo:
        node = todo.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in items:
            nodes.append((node, k))
            if isinstance(v, dict | list):
                todo.append(v)
    if not nodes:
        return _bytes(data, rng)
    node, key = rng.choice(nodes)
    how = rng.randrange(3)
    if how == 0:
        node[key] = rng.choice(VALUES)
    elif how == 1 and isinstance(node, dict):
        del node[key]
    elif isinstance(node, list):
        node.insert(key, node[key])  # a record twice
    else:
        node[key] = rng.choice(VALUES)
    return json.dumps(doc).encode()


def _decoded(data: bytes) -> list[tuple[dict[str, Any], dict[str, np.ndarray]]] | None:
    try:
        return [(f.header, dict(f.columns)) for f in read_frames(io.BytesIO(data[len(MAGIC):]))]
    except ValueError:
        return None


def _encoded(frames: list[tuple[dict[str, Any], dict[str, np.ndarray]]], magic: bytes) -> bytes:
    return magic + b"".join(encode_frame(h, c) for h, c in frames)


def _frames(data: bytes, rng: random.Random) -> bytes:
    frames = _decoded(data)
    if not frames:
        return _bytes(data, rng)
    i, j = rng.randrange(len(frames)), rng.randrange(len(frames))
    how = rng.randrange(3)
    if how == 0:
        del frames[i]
    elif how == 1:
        frames.insert(j, frames[i])
    else:
        frames[i], frames[j] = frames[j], frames[i]
    return _encoded(frames, data[:len(MAGIC)])


def _frame_values(data: bytes, rng: random.Random) -> bytes:
    frames = _decoded(data)
    if not frames:
        return _bytes(data, rng)
    header, columns = frames[rng.randrange(len(frames))]
    if columns and rng.random() < 0.5:  # a cell of a column
        name = rng.choice(sorted(columns))
        col = columns[name].copy()
        if len(col):
            info = np.iinfo(col.dtype)
            col[rng.randrange(len(col))] = rng.choice(
                [info.min, info.max, 0, -1 if info.min < 0 else 1, info.max // 2])
            columns[name] = col
        elif rng.random() < 0.5:
            del columns[name]
    else:  # a value somewhere in the header
        try:
            new = json.loads(_json(json.dumps(header, default=str).encode(), rng))
        except ValueError:  # an empty header: its bytes were changed instead
            return data
        header.clear()
        header.update(new if isinstance(new, dict) else {"frame": new})
    try:
        return _encoded(frames, data[:len(MAGIC)])
    except (OverflowError, TypeError, ValueError):  # a value msgpack cannot hold (10**30)
        return data
