"""The one plugin protocol: instruments go in in order, out in reverse, and a broken one is
logged and left out without costing the run its other instruments or its trace."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from loopviz.instrument.plugin import Instruments, RecordingView
from loopviz.recording import Recording


class Noted:
    def __init__(self, name: str, log: list[str], *, fail: str = "") -> None:
        self.name, self.log, self.fail = name, log, fail

    def install(self, recording: RecordingView) -> None:
        self.log.append(f"install {self.name}")
        if self.fail == "install":
            raise RuntimeError("boom")

    def uninstall(self) -> None:
        self.log.append(f"uninstall {self.name}")
        if self.fail == "uninstall":
            raise RuntimeError("boom")


@pytest.fixture
def recording() -> Iterator[Recording]:
    loop = asyncio.new_event_loop()
    yield Recording(loop, probes=False)
    loop.close()


def test_instruments_go_in_in_order_and_come_out_in_reverse(recording: Recording) -> None:
    log: list[str] = []
    instruments = Instruments([Noted("watchdog", log), Noted("deadlock", log)])
    instruments.install(recording)
    instruments.uninstall()
    assert log == ["install watchdog", "install deadlock", "uninstall deadlock",
                   "uninstall watchdog"]


def test_an_instrument_that_fails_to_install_is_logged_and_left_out(
        recording: Recording, capsys: pytest.CaptureFixture[str]) -> None:
    log: list[str] = []
    broken = Noted("broken", log, fail="install")
    instruments = Instruments([broken, Noted("fine", log)])
    instruments.install(recording)
    assert instruments.installed == [instruments.all[1]]
    assert "Noted.install failed and was removed: RuntimeError('boom')" in capsys.readouterr().err
    log.clear()
    instruments.uninstall()
    assert log == ["uninstall fine"]


def test_a_failing_uninstall_does_not_stop_the_others(
        recording: Recording, capsys: pytest.CaptureFixture[str]) -> None:
    log: list[str] = []
    instruments = Instruments([Noted("first", log), Noted("second", log, fail="uninstall")])
    instruments.install(recording)
    instruments.uninstall()
    assert log[-2:] == ["uninstall second", "uninstall first"]
    assert instruments.installed == []
    assert "Noted.uninstall failed" in capsys.readouterr().err
