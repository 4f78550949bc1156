"""How loopviz words a duration and a place in the program, in one place.

Captions, findings, the CLI's summary, tooltips, the diagnostics and the demos' checks all say
"blocked 1.02 s at blocking.py:14": the same fact must read the same wherever it is shown, so
each of them calls these functions instead of formatting its own.
"""

from __future__ import annotations

import os

from loopviz.trace.records import Block

UNKNOWN_PLACE = "an unknown line"
CULPRIT_LABEL = {"qt": "Qt", "loop": "the event loop's own machinery",
                 "loopviz": "loopviz itself", "unknown": "code loopviz cannot see into",
                 "gc": "Python's garbage collector"}


def duration(ns: float, *, precise: bool = False) -> str:
    """A duration as people read it at a glance: ``1.02 s``, ``35 ms``, ``120 µs`` (seconds with
    two decimals, smaller units whole). ``precise`` keeps three significant digits below a
    second (``35.4 ms``), for a tooltip about one segment."""
    s = abs(ns)
    if s >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if precise:
        return f"{ns / 1e6:.3g} ms" if s >= 1e6 else f"{ns / 1e3:.3g} µs"
    if s >= 1e6:
        return f"{ns / 1e6:.0f} ms"
    return f"{ns / 1e3:.0f} µs"


def place(file: str, line: int, unknown: str = UNKNOWN_PLACE) -> str:
    """``blocking.py:14`` (the file's name, not its path); ``unknown`` when no file is known."""
    return f"{os.path.basename(file)}:{line}" if file else unknown


def block_sentence(block: Block) -> str:
    """``UI thread blocked 310 ms by time.sleep at blocking.py:14``: a block, as the watchdog's
    diagnostic, the findings panel and ``loopviz run``'s summary all say it."""
    took = duration(block.end_ns - block.start_ns)
    if block.culprit == "user":
        return f"UI thread blocked {took} by {block.function or 'code'} at " \
               f"{place(block.file, block.line)}"
    if block.culprit == "gc":
        text = f"UI thread blocked {took} by {block.function}"
        return text + (f", started at {place(block.file, block.line)}" if block.file else "")
    if block.file:
        return (f"UI thread blocked {took} inside {CULPRIT_LABEL[block.culprit]} "
                f"({block.function} at {place(block.file, block.line)})")
    if block.function:
        return f"UI thread blocked {took} in {block.function} (no Python code ran)"
    return f"UI thread blocked {took}; no sample caught where"
