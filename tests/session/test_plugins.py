"""One assembly for every run: `loopviz run`, the window's Run and side-by-side runs all get
their session from new_session."""

from __future__ import annotations

from loopviz.instrument.deadlock import DeadlockDetector
from loopviz.instrument.lost_work import LostWork
from loopviz.instrument.runaway import RunawayGuard
from loopviz.instrument.watchdog import Watchdog
from loopviz.session import new_session, resolve
from loopviz.session.qt_heartbeat import QtHeartbeat
from loopviz.session.qt_messages import QtMessages


def test_a_qt_run_beats_its_heartbeat_from_a_qtimer_and_captures_qt_messages() -> None:
    session = new_session(resolve("interleaving"), loop_kind="qt")
    assert [type(p) for p in session.plugins] == [QtHeartbeat, Watchdog, DeadlockDetector,
                                                  RunawayGuard, LostWork, QtMessages]
    assert session.recorder.meta["loop"] == "loopviz-qt"


def test_an_asyncio_run_has_the_same_diagnostics_and_no_qt() -> None:
    session = new_session(resolve("interleaving"), loop_kind="asyncio")
    assert [type(p) for p in session.plugins] == [Watchdog, DeadlockDetector, RunawayGuard,
                                                  LostWork]
    assert session.recorder.meta["loop"] == "asyncio"


def test_a_run_s_own_plugins_come_after_the_heartbeat_and_before_the_diagnostics() -> None:
    class Own:
        def install(self, recording: object) -> None: ...

        def uninstall(self) -> None: ...

    own = Own()
    session = new_session(resolve("interleaving"), plugins=[own])
    assert session.plugins[:2] == [session.plugins[0], own]
    assert isinstance(session.plugins[0], QtHeartbeat)
