"""Hooks on the loop that leave its fast attribute layout alone: a recording adds only its two
hot hooks to the loop itself, rare methods are hooked on the class for that loop alone, and
everything is put back."""

from __future__ import annotations

import asyncio
from typing import Any

import loopviz
from loopviz.instrument.overrides import hook_rare


class Greeter:
    def greet(self, who: str) -> str:
        return f"hello {who}"


def _loud(orig: Any) -> Any:
    return lambda who: orig(who).upper()


def _twice(orig: Any) -> Any:
    return lambda who: orig(who) + "!"


def test_a_recording_adds_only_its_hot_hooks_to_the_loop_and_puts_everything_back() -> None:
    loop = asyncio.new_event_loop()
    try:
        before = set(vars(loop))
        rec = loopviz.record(loop).start()  # every default diagnostic: the deadlock detector too
        added = set(vars(loop)) - before

        async def program() -> int:
            return await loop.run_in_executor(None, sum, [1, 2])

        value = loop.run_until_complete(program())
        trace = rec.stop()
        assert added <= {"call_soon", "call_at"}
        assert set(vars(loop)) == before
        assert not {"run_in_executor", "call_soon_threadsafe", "run_until_complete"} & set(
            vars(type(loop))), "the class's methods are its own again"
    finally:
        loop.close()
    assert value == 3
    assert [j.function for j in trace.jobs] == ["sum"], "the class-level executor hook recorded it"


def test_a_rare_hook_sees_only_its_own_objects_calls() -> None:
    hooked, other = Greeter(), Greeter()
    undo = hook_rare(hooked, "greet", _loud)
    try:
        assert hooked.greet("ann") == "HELLO ANN"
        assert other.greet("bob") == "hello bob"
        assert "greet" not in vars(hooked)
    finally:
        undo()
    assert hooked.greet("ann") == "hello ann"
    assert Greeter.__dict__["greet"].__name__ == "greet" and "__wrapped__" not in vars(
        Greeter.__dict__["greet"])


def test_rare_hooks_nest_and_come_off_in_any_order() -> None:
    g = Greeter()
    undo_loud = hook_rare(g, "greet", _loud)
    undo_twice = hook_rare(g, "greet", _twice)
    assert g.greet("ann") == "HELLO ANN!"
    undo_loud()  # the outer hook still calls through the inner one it wrapped
    assert g.greet("ann") == "HELLO ANN!"
    undo_twice()
    assert g.greet("ann") == "hello ann"
    assert vars(Greeter).get("greet") is not None and g.greet.__func__ is Greeter.greet


def test_an_objects_own_override_is_hooked_in_place_and_put_back() -> None:
    g = Greeter()
    g.greet = lambda who: f"hi {who}"  # type: ignore[method-assign]
    own = g.greet
    undo = hook_rare(g, "greet", _loud)
    assert g.greet("ann") == "HI ANN"
    undo()
    assert g.greet is own
