"""Getting a loopviz loop running: the Qt application, a new loop on it, and run().

Why apart from ``qt_loop``: these manage the process's QCoreApplication singleton and a loop's
whole life, while ``qt_loop`` decides what runs when. This module imports ``qt_loop``, which
never imports it back (its Qt plumbing is ``plumbing``).

Contract:
- :func:`ensure_qt_app` returns the process's QCoreApplication, creating one if there is none.
- :func:`new_event_loop` makes a :class:`~loopviz.loop.qt_loop.QtEventLoop` on it.
- :func:`run` is ``asyncio.run`` on a fresh loopviz Qt loop: it cancels leftover tasks, shuts down
  async generators and the default executor, and closes the loop.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from PySide6 import QtCore

from .qt_loop import QtEventLoop

__all__ = ["ensure_qt_app", "new_event_loop", "run"]

_T = TypeVar("_T")
_app_ref: QtCore.QCoreApplication | None = None  # PySide must not collect an app we created


def ensure_qt_app(gui: bool = False) -> QtCore.QCoreApplication:
    """The existing QCoreApplication (of whatever class), or a new one.

    A new one is a ``QApplication`` when ``gui`` is true (widgets need it; it needs a platform
    plugin: set ``QT_QPA_PLATFORM=offscreen`` on a headless machine), else a
    ``QCoreApplication``, which needs none. An existing instance is returned as it is, even
    if ``gui`` asks for more: Qt allows one application object per process.
    """
    global _app_ref
    app = QtCore.QCoreApplication.instance()
    if app is None:
        argv = sys.argv[:1] or ["loopviz"]
        if gui:
            from PySide6.QtWidgets import QApplication

            app = QApplication(argv)
        else:
            app = QtCore.QCoreApplication(argv)
        _app_ref = app
    return app


def new_event_loop(app: QtCore.QCoreApplication | None = None) -> QtEventLoop:
    """A new loopviz Qt loop on ``app`` (default: :func:`ensure_qt_app`); not set as current."""
    return QtEventLoop(app or ensure_qt_app())


def run(coro: Coroutine[Any, Any, _T], *, gui: bool = False, debug: bool | None = None) -> _T:
    """Run ``coro`` to completion on a fresh loopviz Qt loop and close it; return its result.

    Like :func:`asyncio.run` (it uses :class:`asyncio.Runner`): leftover tasks are cancelled,
    async generators and the default executor are shut down (the executor without hanging on a
    stuck job), and Ctrl-C cancels ``coro`` and raises KeyboardInterrupt.
    """
    app = ensure_qt_app(gui)
    with asyncio.Runner(debug=debug, loop_factory=lambda: new_event_loop(app)) as runner:
        return runner.run(coro)
