"""Python's garbage collector, timed: the culprit of a stall that leaves no line to blame.

Why: a collection holds the GIL, so the watchdog cannot sample the thread it stops, and in a
big heap a generation-2 pass takes 50-130 ms (measured in the test suite's process). Without
this, such a stall read "UI thread blocked 0.06 s; no sample caught where"; with it, "by
Python's garbage collection (generation 2)", which is what a reader can act on.

Contract: :meth:`GcPauses.install` adds one ``gc.callbacks`` hook, :meth:`GcPauses.uninstall`
removes it. Collections of at least ``MIN_NS`` are kept (the last ``keep``) with their thread.
Collections never overlap (the GIL, and the collector's own guard), so one start time is kept.
Cost: two clock reads per collection, and an append for the long ones.
"""

from __future__ import annotations

import collections
import gc
import threading
import time
from typing import Any

__all__ = ["GcPauses"]

MIN_NS = 1_000_000


class GcPauses:
    """The recent long collections: ``(start_ns, end_ns, generation, thread ident)``."""

    def __init__(self, keep: int = 1024) -> None:
        self.pauses: collections.deque[tuple[int, int, int, int]] = collections.deque(maxlen=keep)
        self._start = 0

    def install(self) -> None:
        if self._hook not in gc.callbacks:
            gc.callbacks.append(self._hook)

    def uninstall(self) -> None:
        while self._hook in gc.callbacks:
            gc.callbacks.remove(self._hook)

    def _hook(self, phase: str, info: dict[str, Any]) -> None:
        now = time.monotonic_ns()
        if phase == "start":
            self._start = now
        elif now - self._start >= MIN_NS:
            self.pauses.append((self._start, now, info["generation"], threading.get_ident()))

    def culprit(self, ident: int, start: int, end: int) -> str | None:
        """``Python's garbage collection (generation N)`` if collections on thread ``ident`` took at
        least half of ``[start, end]`` (the deepest generation named), else None."""
        held, generation = 0, -1
        for p_start, p_end, gen, thread in reversed(self.pauses):
            if p_end < start:
                break
            if thread == ident and p_start < end:
                held += min(p_end, end) - max(p_start, start)
                generation = max(generation, gen)
        if held * 2 < end - start:
            return None
        return f"Python's garbage collection (generation {generation})"
