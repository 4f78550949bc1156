"""The replay's clock, a plain model: a fake wall clock drives it without Qt or waiting."""

from __future__ import annotations

from loopviz.ui.state.replay_clock import SPEEDS, ReplayClock
from tests.ui.timeline.conftest import MS, make_trace


class Wall:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_instant_follows_the_wall_clock_times_the_speed_and_stops_at_the_end() -> None:
    wall = Wall()
    clock = ReplayClock(wall)
    clock.set_trace(make_trace(1000))
    assert clock.t_ns == 1000 * MS  # a trace is shown whole until played
    assert clock.start()  # at the end: from the start
    assert clock.t_ns == 0
    clock.set_speed(0.25)
    wall.now += 2.0
    assert not clock.advance() and clock.t_ns == 500 * MS
    wall.now += 10.0
    assert clock.advance() and clock.t_ns == 1000 * MS  # a slow tick skips, it never drifts


def test_speeds_are_clamped_and_step_through_the_presets() -> None:
    clock = ReplayClock(Wall())
    assert clock.set_speed(100) == SPEEDS[-1] and clock.set_speed(0) == SPEEDS[0]
    clock.set_speed(1.0)
    assert clock.next_speed(+1) == 2.0 and clock.next_speed(-1) == 0.5


def test_without_a_trace_nothing_starts_or_seeks() -> None:
    clock = ReplayClock(Wall())
    assert not clock.start() and not clock.seek(5) and clock.advance()
