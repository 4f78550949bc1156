"""The trace model: records, the Recorder that collects them, and the Trace that answers
questions about a run. Pure Python + stdlib: runs headless and inside a user's program."""

from loopviz.trace.model import Segment, Stats, TaskState, Trace, max_overlap
from loopviz.trace.recorder import Recorder
from loopviz.trace.records import (
    DIAGNOSTIC_KINDS,
    OUTCOMES,
    WAIT_KINDS,
    Block,
    Callback,
    Diagnostic,
    Finding,
    Job,
    Step,
    TaskInfo,
    ThreadInfo,
    Wait,
)

__all__ = [
    "DIAGNOSTIC_KINDS", "OUTCOMES", "WAIT_KINDS", "Block", "Callback", "Diagnostic", "Finding",
    "Job", "Recorder", "Segment", "Stats", "Step", "TaskInfo", "TaskState", "ThreadInfo",
    "Trace", "Wait", "max_overlap",
]
