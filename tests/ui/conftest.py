"""Fixtures for the app's tests: a window on loopviz's Qt loop (already running inside
pytest-qt's event processing), settings on a temp file, and dialogs captured, not shown."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QSettings

from loopviz.ui import files
from loopviz.ui.app import attach_loop, close_loop, make_window
from loopviz.ui.main_window import MainWindow
from loopviz.ui.settings import AppSettings


@pytest.fixture
def settings(tmp_path) -> AppSettings:
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def errors(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every error dialog the app would show, as (title, message); none is shown."""
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(files, "show_error", lambda _parent, title, msg: seen.append((title, msg)))
    return seen


@pytest.fixture
def qt_loop(qapp) -> Iterator[asyncio.AbstractEventLoop]:
    loop = attach_loop(qapp)
    yield loop
    close_loop(loop)


@pytest.fixture
def window(qtbot, qt_loop, settings, errors) -> Iterator[MainWindow]:
    win = make_window(qt_loop, settings)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if win.runs.running:
        win.cancel()
        qtbot.waitUntil(lambda: not win.runs.running, timeout=10_000)
    win.close()


@pytest.fixture
def run_to_end(qtbot) -> Callable[..., object]:
    """Trigger Run the way a user does and wait for the run's result."""

    def go(win: MainWindow, timeout_ms: int = 30_000) -> object:
        with qtbot.waitSignal(win.runFinished, timeout=timeout_ms) as blocker:
            win.commands.run.trigger()
        return blocker.args[0]

    return go
