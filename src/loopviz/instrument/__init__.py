"""Instrumentation: the task factory + coroutine proxy, loop hooks, probes and the watchdog.
Imports only ``loopviz.trace`` and the stdlib, never Qt: it runs inside a user's program."""

from loopviz.instrument.jobs import callable_name
from loopviz.instrument.probes import Heartbeat, LagProbe, LoopTimerDriver
from loopviz.instrument.proxy import CoroutineProxy
from loopviz.instrument.tracker import TaskListener, Tracker

__all__ = [
    "CoroutineProxy", "Heartbeat", "LagProbe", "LoopTimerDriver", "TaskListener", "Tracker",
    "callable_name",
]
