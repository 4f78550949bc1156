"""The runaway guard: code stuck on the UI thread past a hard limit is aborted so the app lives.

How: the watchdog (another thread) sees the stall; past ``limit_s`` the guard sends SIGUSR1 to
the main thread with ``signal.pthread_kill``. Python runs our handler on the main thread at the
next bytecode boundary (a busy loop) or as soon as a blocking call is interrupted (``time.sleep``
and ``threading`` waits return EINTR and check signals), and the handler raises
:class:`RunawayAborted` there, so the stuck task ends with it and other tasks carry on. It
raises only while the stall that was targeted is still going on (no beat since) and the stuck
code object is still on the stack, so a late signal never hits innocent code.

Limits, said plainly in the diagnostic: handlers can only be installed on the main thread (a
loop on another thread is never aborted); a C call that holds the GIL starves the watchdog and
cannot be interrupted in-process: loopviz waits for it to return. ``PyThreadState_SetAsyncExc``
cannot interrupt sleeps and ``_thread.interrupt_main`` hangs or exits the app, hence signals.

Invariant: the previous handler of ``signum`` is back in place after ``uninstall``.
"""

from __future__ import annotations

import signal
import threading
import time
import types
from dataclasses import dataclass
from typing import Any

from loopviz.instrument.plugin import RecordingView
from loopviz.instrument.report import emit
from loopviz.instrument.watchdog import STARVED_NS, Stall, Watchdog
from loopviz.trace.records import Block, Diagnostic
from loopviz.trace.wording import block_sentence, place

_now = time.monotonic_ns
_CAN_SIGNAL = hasattr(signal, "pthread_kill") and hasattr(signal, "SIGUSR1")
BLIND_SETTLE_NS = 500_000_000  # after the watchdog was starved, watch this long before aborting


class RunawayAborted(Exception):  # noqa: N818 - reads as what happened to the task
    """Raised by loopviz inside code that kept the UI thread past the runaway limit."""


@dataclass(frozen=True, slots=True)
class RunawayState:
    """The countdown the UI shows while the UI thread is stuck."""

    stuck_s: float
    limit_s: float
    file: str
    line: int
    abortable: bool


@dataclass(frozen=True, slots=True)
class _Target:
    start_ns: int
    code: types.CodeType
    file: str
    line: int
    function: str
    stuck_ns: int


class RunawayGuard:
    """An Instrument observing a :class:`Watchdog` (install it after the watchdog)."""

    def __init__(self, watchdog: Watchdog, limit_s: float = 10.0, *,
                 resend_s: float = 1.0) -> None:
        self.watchdog = watchdog
        self.limit_s = limit_s
        self.resend_s = resend_s
        self.signum = signal.SIGUSR1 if _CAN_SIGNAL else None
        self.aborted: list[Diagnostic] = []
        self._installed = False
        self._prev_handler: Any = None
        self._target: _Target | None = None
        self._sent_at = 0
        self._blind: dict[int, int] = {}  # stall start → watched again since (raw ns)
        self._recorder: Any = None

    # ---- lifecycle --------------------------------------------------------------------------
    def install(self, recording: RecordingView) -> None:
        self._recorder = recording.recorder
        main = threading.main_thread()
        if self.signum is not None and threading.current_thread() is main:
            self._prev_handler = signal.signal(self.signum, self._handler)
            self._installed = True
        if self not in self.watchdog.observers:
            self.watchdog.observers.append(self)

    def uninstall(self) -> None:
        if self in self.watchdog.observers:
            self.watchdog.observers.remove(self)
        if self._installed and self.signum is not None:
            prev = self._prev_handler
            signal.signal(self.signum, prev if prev is not None else signal.SIG_DFL)
            self._installed = False
        self._target = None
        self._blind.clear()

    @property
    def can_abort(self) -> bool:
        return self._installed and self.watchdog.ui_ident == threading.main_thread().ident

    def state(self) -> RunawayState | None:
        """Seconds stuck and the limit while the UI thread is stalled; None otherwise."""
        stall = self.watchdog.stall
        if stall is None:
            return None
        sample = stall.sample
        return RunawayState(stall.late_ns / 1e9, self.limit_s,
                            sample.file if sample else "", sample.line if sample else 0,
                            self.can_abort and sample is not None and sample.code is not None)

    # ---- watchdog hooks (watchdog thread) -------------------------------------------------------
    def stall_tick(self, watchdog: Watchdog, stall: Stall, frame: Any) -> None:
        now = _now()
        start = stall.start_ns
        if not stall.watched:  # a C call held the GIL: wait until we have watched a while
            self._blind[start] = now
        if stall.late_ns < self.limit_s * 1e9:
            return
        blind_since = self._blind.get(start)
        if blind_since is not None and now - blind_since < BLIND_SETTLE_NS:
            watchdog.claim(start, "blocked-loop")  # stall_ended says why it was not aborted
            return
        sample = watchdog.culprit_of(start)
        if not self.can_abort or sample is None or sample.code is None:
            return
        if self._target is not None and self._target.start_ns == start and \
                now - self._sent_at < self.resend_s * 1e9:
            return
        self._target = _Target(start, sample.code, sample.file, sample.line, sample.function,
                               stall.late_ns)
        self._sent_at = now
        main = threading.main_thread().ident
        if main is not None and self.signum is not None:  # both are, once can_abort
            signal.pthread_kill(main, self.signum)

    def stall_ended(self, watchdog: Watchdog, start_ns: int, block: Block) -> None:
        blind = self._blind.pop(start_ns, None)
        if self._target is not None and self._target.start_ns == start_ns:
            self._target = None
        secs = (block.end_ns - block.start_ns) / 1e9
        if blind is not None and secs >= self.limit_s:
            emit(self._recorder, Diagnostic(
                block.end_ns, "blocked-loop",
                f"{block_sentence(block)}: past the {self.limit_s:g} s runaway limit, but "
                f"a C call that holds the GIL cannot be interrupted in-process; loopviz waited "
                f"for it to return", block.task, block.file, block.line))
        for start in [s for s in self._blind if s < start_ns]:
            del self._blind[start]
        if len(self._blind) > 64:
            self._blind.clear()

    # ---- the signal handler (main thread) -------------------------------------------------------
    def _handler(self, signum: int, frame: Any) -> None:
        target = self._target
        if target is None:
            prev = self._prev_handler
            if callable(prev):
                prev(signum, frame)
            return
        if self.watchdog.heartbeat is None or \
                self.watchdog.heartbeat.last_beat_ns != target.start_ns:
            return  # the stall is over: a late signal must not hit whatever runs now
        f = frame
        while f is not None and f.f_code is not target.code:
            f = f.f_back
        if f is None:
            return
        self._target = None
        stuck = (_now() - target.start_ns) / 1e9
        rec = self._recorder
        message = (f"UI thread stuck {stuck:.1f} s in {target.function} at "
                   f"{place(target.file, target.line)}: past the {self.limit_s:g} s runaway "
                   f"limit, loopviz aborted it with RunawayAborted so the app survives")
        diag = Diagnostic(rec.now(), "runaway-aborted", message, rec.running_task,
                          target.file, target.line)
        self.watchdog.claim(target.start_ns, "runaway-aborted")
        self.aborted.append(diag)
        emit(rec, diag)
        raise RunawayAborted(message)


__all__ = ["STARVED_NS", "RunawayAborted", "RunawayGuard", "RunawayState"]
