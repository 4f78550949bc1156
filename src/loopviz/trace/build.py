"""Turn a Recorder's raw buffers into a Trace.

This is where cheap recording is paid for: waits are derived from consecutive steps of a task
(a wait starts where a step that suspended ends, and ends where the next step starts), wake
and due records are joined to them, and raw monotonic times become ns since the start. One
derivation serves both the final trace and the live views: a final build is simply the first
build of a fresh :class:`~loopviz.trace.incremental.IncrementalBuilder`.
"""

from __future__ import annotations

from loopviz.trace.incremental import IncrementalBuilder
from loopviz.trace.model import Trace
from loopviz.trace.recorder import Recorder


def build_trace(rec: Recorder) -> Trace:
    """A consistent Trace of everything ``rec`` holds now (names read now, at this build)."""
    return IncrementalBuilder(rec).build(last=True)
