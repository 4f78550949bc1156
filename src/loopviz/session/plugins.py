"""How a loopviz run is put together, in one place for ``loopviz run`` (:func:`run_headless`)
and the desktop app (its run controller and side-by-side runs): the session, its plugins (the
default diagnostics of ``instrument.defaults``, shared with ``loopviz.record()``, plus on a Qt
loop the capture of Qt's own messages and the UI heartbeat from a QTimer) and its loop's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from loopviz.instrument.defaults import (
    DEFAULT_RUNAWAY_LIMIT_S,
    DEFAULT_THRESHOLD_S,
    default_instruments,
)
from loopviz.instrument.plugin import Instrument
from loopviz.session.qt_heartbeat import QtHeartbeat
from loopviz.session.runner import Session
from loopviz.session.targets import Target

LOOP_NAMES = {"qt": "loopviz-qt", "asyncio": "asyncio"}  # the trace's meta["loop"]

P = TypeVar("P")


def default_plugins(loop_kind: str, *, threshold_s: float = DEFAULT_THRESHOLD_S,
                    runaway_limit_s: float = DEFAULT_RUNAWAY_LIMIT_S) -> list[Instrument]:
    """The diagnostics of a loopviz run on ``loop_kind`` ("qt" or "asyncio")."""
    plugins = default_instruments(threshold_s=threshold_s, runaway_limit_s=runaway_limit_s)
    if loop_kind == "qt":
        from loopviz.session.qt_messages import QtMessages

        plugins.append(QtMessages())
    return plugins


def find_plugin(plugins: Sequence[object], kind: type[P]) -> P | None:
    """The first plugin of ``kind`` (a benchmark asks for the Watchdog to observe it)."""
    return next((p for p in plugins if isinstance(p, kind)), None)


def new_session(target: Target, *, loop_kind: str = "qt", timeout: float | None = None,
                plugins: Sequence[Instrument] = (), diagnostics: bool = True,
                **session_kw: Any) -> Session:
    """A Session for ``target`` on a ``loop_kind`` loop, as every run of loopviz's gets one:
    on a Qt loop the UI heartbeat comes from a QTimer (first), elsewhere from a loop timer;
    then ``plugins``; then, with ``diagnostics``, :func:`default_plugins`."""
    if loop_kind not in LOOP_NAMES:
        raise ValueError(f"unknown loop {loop_kind!r} (choose qt or asyncio)")
    chosen = list(plugins)
    if diagnostics:
        chosen += default_plugins(loop_kind)
    if loop_kind == "qt":
        chosen.insert(0, QtHeartbeat())
    session = Session(target, timeout=timeout, plugins=chosen,
                      loop_heartbeat=loop_kind != "qt", **session_kw)
    session.recorder.meta["loop"] = LOOP_NAMES[loop_kind]
    return session
