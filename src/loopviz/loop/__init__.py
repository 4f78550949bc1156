"""loopviz's asyncio event loop on Qt, and the helpers to run it.

``QtEventLoop`` keeps qasync's Qt integration but schedules like asyncio (one ready queue drained
in time-boxed batches, one precise timer for the timer heap); see ``qt_loop`` for its contract.
This package may import PySide6, qasync and the standard library only; the ``trace`` and
``instrument`` packages never import it.
"""

from __future__ import annotations

from .app import ensure_qt_app, new_event_loop, run
from .executor import WORKER_THREAD_PREFIX
from .plumbing import QueueSnapshot, handle_label
from .qt_loop import DEFAULT_BATCH_BUDGET, QtEventLoop

__all__ = [
    "DEFAULT_BATCH_BUDGET",
    "WORKER_THREAD_PREFIX",
    "QtEventLoop",
    "QueueSnapshot",
    "ensure_qt_app",
    "handle_label",
    "new_event_loop",
    "run",
]
