"""The diagnostics every run gets: one place that wires them, for ``run_headless``, the GUI and
``loopviz.record()``.

Order matters: the watchdog comes first (the others observe it) and, since a session stops its
plugins in reverse order, stops last.
"""

from __future__ import annotations

from typing import Any

from loopviz.instrument.deadlock import DeadlockDetector
from loopviz.instrument.lost_work import LostWork
from loopviz.instrument.runaway import RunawayGuard
from loopviz.instrument.watchdog import Watchdog
from loopviz.session.runner import SessionPlugin

DEFAULT_THRESHOLD_S = 0.05
DEFAULT_RUNAWAY_LIMIT_S = 10.0


def default_instruments(*, threshold_s: float = DEFAULT_THRESHOLD_S,
                        runaway_limit_s: float | None = None) -> list[Any]:
    """Watchdog, deadlock detector, lost work, and (with a limit) the runaway guard. Each has
    ``install(recording)``/``uninstall()`` and ``start(session)``/``stop(session)``."""
    watchdog = Watchdog(threshold_s)
    out: list[Any] = [watchdog, DeadlockDetector(watchdog)]
    if runaway_limit_s is not None:
        out.append(RunawayGuard(watchdog, runaway_limit_s))
    out.append(LostWork())
    return out


def default_plugins(loop_kind: str, *, threshold_s: float = DEFAULT_THRESHOLD_S,
                    runaway_limit_s: float = DEFAULT_RUNAWAY_LIMIT_S) -> list[SessionPlugin]:
    """The plugins of a loopviz run on ``loop_kind`` ("qt" or "asyncio")."""
    plugins: list[Any] = default_instruments(threshold_s=threshold_s,
                                             runaway_limit_s=runaway_limit_s)
    if loop_kind == "qt":
        from loopviz.session.qt_messages import QtMessages

        plugins.append(QtMessages())
    return plugins


def find_plugin(plugins: list[Any], kind: type) -> Any:
    """The first plugin of ``kind`` (the UI asks for the RunawayGuard's countdown)."""
    return next((p for p in plugins if isinstance(p, kind)), None)
