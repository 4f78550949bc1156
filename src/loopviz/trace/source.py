"""The recorded program's source, kept in the trace's meta so a saved trace opens with its code.

A trace names lines (``file:line`` of waits, blocks, diagnostics); to show them, the viewer needs
the text those lines were in, as it was when the trace was recorded. Meta keys (additive to the
native format, docs/DESIGN.md): ``source_file`` (absolute path), ``source_sha256`` (hex digest
of its UTF-8 text) and ``source`` (the text itself, left out past ``MAX_EMBEDDED`` characters).
:func:`recorded_source` gives the text back: the embedded copy, else the file on disk, with a
note when the disk copy is not the one that was recorded.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from loopviz import _cpython

MAX_EMBEDDED = 256 * 1024  # characters: a script, not a generated module
_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])  # loopviz/


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def source_meta(path: str | os.PathLike[str] | None) -> dict[str, Any]:
    """The meta keys for the program at ``path`` ({} if it cannot be read as text)."""
    if not path:
        return {}
    resolved = os.path.abspath(path)
    try:
        text = Path(resolved).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {"source_file": resolved}
    out: dict[str, Any] = {"source_file": resolved, "source_sha256": digest(text)}
    if len(text) <= MAX_EMBEDDED:
        out["source"] = text
    return out


def caller_file(skip_dirs: tuple[str, ...] = ()) -> str | None:
    """The first file up the call stack outside loopviz (and ``skip_dirs``): whose program
    called ``loopviz.record()``. None from an interactive prompt (``<stdin>``, notebooks)."""
    frame: FrameType | None = _cpython.getframe(1)
    skip = (_PACKAGE_DIR, os.path.dirname(os.__file__), *skip_dirs)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith("<") and not os.path.abspath(name).startswith(skip):
            return os.path.abspath(name)
        frame = frame.f_back
    return None


@dataclass(frozen=True, slots=True)
class RecordedSource:
    """What to show for a trace's program: ``path`` (as recorded), ``text``, and a ``note``
    when the text is not exactly what was recorded (empty when it is)."""

    path: str
    text: str
    note: str = ""


def recorded_source(meta: dict[str, Any]) -> RecordedSource | None:
    """The trace's program as recorded: embedded text first, else the file if it still reads.
    None when the trace names no program."""
    path = meta.get("source_file")
    if not isinstance(path, str) or not path:
        return None
    embedded = meta.get("source")
    if isinstance(embedded, str):
        return RecordedSource(path, embedded)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return RecordedSource(path, "", f"source not available: {path} ({type(exc).__name__})")
    recorded = meta.get("source_sha256")
    if isinstance(recorded, str) and recorded != digest(text):
        return RecordedSource(path, text, f"{os.path.basename(path)} changed since this trace "
                                          "was recorded: lines may not match")
    return RecordedSource(path, text)
