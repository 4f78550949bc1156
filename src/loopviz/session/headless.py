"""Headless runs: the same Session on a fresh loop (loopviz's Qt loop offscreen, or plain
asyncio), closed afterwards. Used by ``loopviz run`` and the tests. A demo runs as a task on
the loop; a program runs as ``python`` runs it, its own ``asyncio.run`` driving the loop."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from loopviz.instrument.plugin import Instrument
from loopviz.session.plugins import new_session
from loopviz.session.runner import RunResult
from loopviz.session.targets import Target


def new_loop(kind: str = "qt", *, gui: bool = False) -> asyncio.AbstractEventLoop:
    """A fresh event loop: ``qt`` (loopviz's Qt loop; offscreen unless a display is set up)
    or ``asyncio``."""
    if kind == "asyncio":
        return asyncio.new_event_loop()
    if kind != "qt":
        raise ValueError(f"unknown loop {kind!r} (choose qt or asyncio)")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from loopviz.loop import ensure_qt_app, new_event_loop

    return new_event_loop(ensure_qt_app(gui=gui))


def close_loop(loop: asyncio.AbstractEventLoop) -> None:
    try:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()


def run_headless(target: Target, *, timeout: float | None = None, loop: str = "qt",
                 plugins: list[Instrument] | None = None, diagnostics: bool = True,
                 **session_kw: Any) -> RunResult:
    """Run ``target`` to the end on a fresh loop and return its result (trace included); the
    session is assembled as the desktop app's (:func:`loopviz.session.plugins.new_session`)."""
    # A program may make widgets (Qt aborts without a QApplication); a demo says if it does.
    needs_widgets = target.demo is None or target.demo.needs_widgets
    session = new_session(target, loop_kind=loop, timeout=timeout, plugins=plugins or (),
                          diagnostics=diagnostics, **session_kw)
    ev_loop = new_loop(loop, gui=needs_widgets)
    try:
        if target.program is not None:
            return session.run_program(ev_loop)
        return ev_loop.run_until_complete(session.run())
    finally:
        close_loop(ev_loop)
