"""The plugins of a loopviz run: the default diagnostics (``instrument.defaults``, shared with
``loopviz.record()``) plus, on a Qt loop, the capture of Qt's own messages.
"""

from __future__ import annotations

from typing import Any

from loopviz.instrument.defaults import (
    DEFAULT_RUNAWAY_LIMIT_S,
    DEFAULT_THRESHOLD_S,
    default_instruments,
)
from loopviz.session.runner import SessionPlugin


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
