"""Fixtures for loopviz's loop tests: every behavioural test runs on plain asyncio AND on the
loopviz Qt loop, and the two must be indistinguishable in what they observably do."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import shiboken6

from loopviz.loop import QtEventLoop


@dataclass(frozen=True)
class LoopKind:
    """One kind of loop under test: how to make one and what its executor threads are called."""

    name: str
    make: Callable[[], asyncio.AbstractEventLoop]
    worker_prefix: str


def qt_timers_active(loop: asyncio.AbstractEventLoop) -> bool:
    """True if a Qt loop has any scheduling timer armed (always False for plain asyncio, and
    for a closed Qt loop, whose timers are deleted)."""
    if not isinstance(loop, QtEventLoop):
        return False
    waker = loop._waker
    if not shiboken6.isValid(waker):
        assert loop.is_closed(), "only close() deletes the loop's Qt objects"
        return False
    return waker.ready.isActive() or waker.timer.isActive() or bool(
        loop._timer._SimpleTimer__callbacks  # qasync's own per-callback timers: never used
    )


@pytest.fixture(params=["asyncio", "qt"])
def loop_kind(request: pytest.FixtureRequest) -> LoopKind:
    if request.param == "qt":
        app = request.getfixturevalue("qapp")
        return LoopKind("qt", lambda: QtEventLoop(app), "asyncio")
    return LoopKind("asyncio", asyncio.new_event_loop, "asyncio")


@pytest.fixture
def make_loop(loop_kind: LoopKind) -> Iterator[Callable[[], asyncio.AbstractEventLoop]]:
    """A factory of loops of the kind under test; every loop made is closed afterwards."""
    made: list[asyncio.AbstractEventLoop] = []

    def factory() -> asyncio.AbstractEventLoop:
        loop = loop_kind.make()
        made.append(loop)
        return loop

    yield factory
    for loop in made:
        if not loop.is_closed():
            loop.close()


@pytest.fixture
def loop(make_loop: Callable[[], asyncio.AbstractEventLoop]) -> Iterator[asyncio.AbstractEventLoop]:
    """A loop whose exception handler must stay silent: anything it sees fails the test.

    A test that expects exceptions installs its own handler.
    """
    seen: list[dict[str, Any]] = []
    loop = make_loop()
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    yield loop
    if not loop.is_closed():
        loop.close()
    if seen:
        exc = seen[0].get("exception")
        if exc is not None:
            raise exc
        pytest.fail(f"the loop's exception handler was called: {seen[0]['message']}")
