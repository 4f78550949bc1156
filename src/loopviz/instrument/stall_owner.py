"""Whose a stall is when no line of the program's held it: loopviz's window, or nobody's.

The watchdog's samples of a stall can find no line of the program's at all: the UI thread in
Qt's event processing with no Python frame above the loop's run (:data:`EVENT_PROCESSING`),
in asyncio's selector wait, or in loopviz's own code. Two such stalls are not the program's:

- the thread sat in its loop's own wait and used less CPU than a block lasts: its wake-up was
  not run (a loaded machine); a call that releases the GIL is sampled in the program's code,
  one that holds it uses the CPU (:func:`in_loop_wait`);
- in the app, whose window records its work on this thread (``loopviz: ...`` callbacks),
  Qt drawing in C and loopviz's own code are that window's: the observer's stall
  (:func:`only_drawing`), shown as its work on the UI lane and never listed as a finding.

Samples are the watchdog's (``function``, ``culprit``); no import of it here (it imports us).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Look(Protocol):
    """What these judgements read of a watchdog Sample."""

    @property
    def function(self) -> str: ...

    @property
    def culprit(self) -> str: ...


# Where a loop runs Qt's or the selector's event processing: reached before any dispatch.
EVENT_PROCESSING = "the event loop's own waiting and Qt's event processing"


def _waiting(sample: Look) -> bool:
    return sample.function == EVENT_PROCESSING or (
        sample.culprit == "loop" and sample.function.endswith("Selector.select"))


def in_loop_wait(samples: Sequence[Look], cpu_used_ns: int | None, threshold_ns: float) -> bool:
    """Every look found the thread in its loop's own wait, and it used less CPU than a block
    lasts (``cpu_used_ns`` None: not known, so not judged)."""
    return (bool(samples) and all(_waiting(s) for s in samples)
            and cpu_used_ns is not None and cpu_used_ns < threshold_ns)


def only_drawing(samples: Sequence[Look], windowed: bool) -> bool:
    """In a window's app (``windowed``), every look found Qt's event processing or loopviz's
    (or pyqtgraph's) own code: the window drew, the program did not run."""
    return windowed and bool(samples) and all(
        s.function == EVENT_PROCESSING or s.culprit in ("loopviz", "qt") for s in samples)
