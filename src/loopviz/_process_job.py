"""An executor job in a process pool's worker, timed where it runs.

A process pool pickles what it runs, so loopviz's timing closure (``instrument/jobs.py``) cannot
travel; this module-level function can: ``partial(run, func)`` pickles ``func`` by reference,
exactly as the program's own call would. It returns what the worker did, when (the monotonic
clock is the machine's, shared by every process) and in which process; the parent unwraps the
value before the program sees it. An exception propagates unchanged (with the pool's remote
traceback). Importing this module costs nothing: a spawned worker imports it to unpickle a job.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Ran:
    value: Any
    pid: int
    process: str  # multiprocessing's name for the worker: ForkProcess-1, SpawnProcess-2
    start_ns: int
    end_ns: int


def run(func: Callable[..., Any], *args: Any) -> Ran:
    start = time.monotonic_ns()
    value = func(*args)
    return Ran(value, os.getpid(), multiprocessing.current_process().name, start,
               time.monotonic_ns())
