"""Probes: the loop's lag and the UI thread's heartbeat, sampled into the recorder.

Lag is how late a ``call_later`` wakes (the loop was busy); the heartbeat is the interval
between beats of a periodic UI-thread timer (in the app a QTimer drives :meth:`Heartbeat.beat`,
elsewhere :class:`LoopTimerDriver`). The watchdog reads ``last_beat_ns`` from another thread.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from loopviz.trace.recorder import Recorder

_now = time.monotonic_ns


class LagProbe:
    """Invariant: at most one probe timer is pending while started."""

    def __init__(self, loop: asyncio.AbstractEventLoop, recorder: Recorder,
                 interval_s: float = 0.02, call_later: Callable[..., Any] | None = None) -> None:
        self.loop = loop
        self.recorder = recorder
        self.interval_s = interval_s
        # The loop's own call_later, taken before instrumentation: probes are not user callbacks.
        self._call_later = call_later or loop.call_later
        self._handle: Any = None
        self._expected = 0.0

    def start(self) -> None:
        self._expected = self.loop.time() + self.interval_s
        self._handle = self._call_later(self.interval_s, self._tick)

    def _tick(self) -> None:
        now = self.loop.time()
        lag_ns = max(0, int((now - self._expected) * 1e9))
        self.recorder.loop_lag.append((_now(), lag_ns))
        self._expected = now + self.interval_s
        self._handle = self._call_later(self.interval_s, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


class Heartbeat:
    """The UI thread's pulse. ``beat()`` must be called on the UI thread every ``interval_s``,
    except while ``paused`` (the thread is outside the loop on purpose: a program's top level),
    when beats are not recorded and the watchdog expects none."""

    def __init__(self, recorder: Recorder, interval_s: float = 0.01) -> None:
        self.recorder = recorder
        self.interval_s = interval_s
        self.last_beat_ns = _now()
        self.beats = 0
        self.paused = False

    def beat(self) -> None:
        now = _now()
        if not self.paused:
            self.recorder.ui_heartbeat.append((now, now - self.last_beat_ns))
        self.last_beat_ns = now
        self.beats += 1

    def pause(self) -> None:
        """A last beat (a stall that lasted until now ends here), then no more until resume."""
        if not self.paused:
            self.beat()
            self.paused = True

    def resume(self) -> None:
        self.last_beat_ns = _now()
        self.paused = False


class LoopTimerDriver:
    """Drives a Heartbeat from the loop's own timers (for loops without a Qt timer)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, heartbeat: Heartbeat,
                 call_later: Callable[..., Any] | None = None) -> None:
        self.loop = loop
        self.heartbeat = heartbeat
        self._call_later = call_later or loop.call_later
        self._handle: Any = None

    def start(self) -> None:
        self.heartbeat.last_beat_ns = _now()
        self._handle = self._call_later(self.heartbeat.interval_s, self._tick)

    def _tick(self) -> None:
        self.heartbeat.beat()
        self._handle = self._call_later(self.heartbeat.interval_s, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
