"""A Session is one run of one target: instrument the loop, run the target, enforce the time
limit, contain whatever the target does wrong, and put the loop back as it was. The GUI and the
headless CLI run the very same Session.

A demo runs as a task (:meth:`Session.run`, a coroutine on a running loop). A user's program
runs as ``python`` would run it (:meth:`Session.run_program`, synchronous, on a loop that is not
running yet): its own ``asyncio.run`` drives the session's loop, and the recording is paused
while the program is outside its loop (imports, work between two runs), which is no stall of
the loop.
"""

from __future__ import annotations

import asyncio
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from loopviz.instrument.plugin import Instrument, Instruments
from loopviz.recording import Recording
from loopviz.session.targets import Target
from loopviz.session.time_limit import CLEANUP_AFTER_LIMIT_S, TimeLimit
from loopviz.trace import Finding, Recorder, Trace
from loopviz.trace.concurrency import in_flight_peak
from loopviz.trace.facts import facts

if TYPE_CHECKING:
    from loopviz.session.host import ProgramHost

LEFTOVER_GRACE_S = 0.05
LEFTOVER_CANCEL_WAIT_S = 2.0


class ScriptExit(Exception):  # noqa: N818 - it is a result, not an error
    """The target called ``sys.exit``: a result of the run, not a reason to quit loopviz."""

    def __init__(self, code: object) -> None:
        super().__init__(f"main called sys.exit({code!r})")
        self.code = code


RunStatus = Literal["finished", "exited", "raised", "interrupted", "bad-input", "cancelled",
                    "timeout"]
"""How a run ended: a program's :data:`~loopviz.session.program.EndingStatus` (a run never
ends "interrupted": Ctrl-C makes it "cancelled" when the user asked, else "raised"), or
"cancelled" (the user stopped it) or "timeout" (it reached its time limit)."""


@dataclass
class RunResult:
    target: Target
    trace: Trace
    status: RunStatus
    error: str | None
    findings: list[Finding] = field(default_factory=list)
    value: Any = None
    exit_code: int | None = None  # a program's exit status, as under ``python``
    where: str | None = None  # file:line of the program when the time limit struck

    def summary(self) -> dict[str, Any]:
        out = self.trace.summary()
        out.update(target=self.target.id, variant=self.target.variant, status=self.status,
                   error=self.error, findings=[f.text for f in self.findings],
                   in_flight_max=in_flight_peak(self.trace),
                   facts=[{"text": f.text, "ok": f.ok, "kind": f.kind, "count": f.count,
                           "t_ns": f.t_ns, "file": f.file, "line": f.line}
                          for f in facts(self.trace, self.findings)])
        if self.exit_code is not None:
            out["exit_code"] = self.exit_code
        out["where"] = self.where
        return out


EXIT_TIMEOUT = 130  # a program stopped at its time limit exits as an interrupted one


def _main_task(loop: asyncio.AbstractEventLoop) -> asyncio.Task[Any] | None:
    """The program's ``main`` task (else any of its tasks), asked from another thread."""
    try:
        tasks = asyncio.all_tasks(loop)
    except RuntimeError:  # the loop's task set changed under us: no answer this time
        return None
    return next((t for t in tasks if t.get_name() == "main"), next(iter(tasks), None))


async def _exit_guard(coro: Any) -> Any:
    # SystemExit escaping a Task would stop the whole loop (and the app): turn it into a result.
    try:
        return await coro
    except SystemExit as exc:
        raise ScriptExit(exc.code) from None


class Session:
    """Invariants: instrumentation is installed only while :meth:`run` is active; the target's
    main task is named ``main``; :meth:`cancel` may be called any time, any number of times."""

    def __init__(self, target: Target, *, timeout: float | None = None, probes: bool = True,
                 loop_heartbeat: bool = True, plugins: list[Instrument] | None = None,
                 recorder: Recorder | None = None) -> None:
        self.target = target
        self.timeout = timeout
        self.recorder = recorder or Recorder()
        self.recording = Recording(
            None, probes=probes, recorder=self.recorder, heartbeat=loop_heartbeat,
            diagnostics=False,  # the session's plugins (session.plugins) bring them
            meta={"target": target.id, "variant": target.variant,
                  "source_file": target.source_file, "params": dict(target.params)},
        )
        # What runs beside the recording (heartbeat timer, diagnostics, flight recorder),
        # installed on it in order once the loop is instrumented (loopviz.instrument.plugin).
        self.plugins: list[Instrument] = list(plugins or [])
        self._instruments = Instruments()
        self.main_task: asyncio.Task[Any] | None = None
        self.result: RunResult | None = None
        self._timed_out = False
        self._cancel_requested = False
        self._host: ProgramHost | None = None
        self.where: str | None = None  # the program's file:line when the time limit struck
        self.on_finished: list[Callable[[RunResult], None]] = []

    @property
    def running(self) -> bool:
        started = self.main_task is not None or self._host is not None
        return started and self.result is None

    def cancel(self) -> None:
        """Cancel the target from outside, the way a CancellationToken would (a program gets
        what Ctrl-C would give it)."""
        self._cancel_requested = True
        if self._host is not None:
            self._host.interrupt()
        if self.main_task is not None and not self.main_task.done():
            self.main_task.cancel("cancelled by the user")

    def _on_timeout(self) -> None:
        if self._host is not None:
            self._timed_out = True
            self._host.interrupt(cleanup_s=CLEANUP_AFTER_LIMIT_S)
        elif self.main_task is not None and not self.main_task.done():
            self._timed_out = True
            self.main_task.cancel(f"time limit of {self.timeout:g} s reached")

    def run_program(self, loop: asyncio.AbstractEventLoop) -> RunResult:
        """Run the target's program to its end on ``loop`` (not running; this thread owns it)."""
        program = self.target.program
        if program is None:
            raise ValueError(f"{self.target.id} is a demo: run it with Session.run()")
        from loopviz.session.host import ProgramHost

        recording = self.recording
        recording.loop = loop
        self._host = host = ProgramHost(program, loop, on_enter=recording.resume,
                                        on_leave=recording.pause)
        recording.start()
        recording.pause()  # the program starts outside its loop
        self._instruments = Instruments(self.plugins)
        self._instruments.install(recording)
        limit = None
        if self.timeout:  # it holds: see session/time_limit.py
            limit = TimeLimit(loop, threading.get_ident(), self.timeout, self._on_timeout,
                              in_loop_only=False, suspended=lambda: _main_task(loop))
            limit.start()
        if self._cancel_requested:
            host.interrupt()
        try:
            ending = host.run()
        finally:
            if limit is not None:
                limit.stop()
            trace = self._stop_recording()
        status: RunStatus = ending.status
        error = ending.error
        self.where = limit.where if limit is not None else None
        exit_code = ending.exit_code
        if self._timed_out and status in ("interrupted", "raised"):
            status, error = "timeout", f"stopped at the time limit of {self.timeout:g} s"
            error += f" at {self.where}" if self.where else ""
            exit_code = EXIT_TIMEOUT
        elif status == "interrupted":
            if self._cancel_requested:
                status, error = "cancelled", "cancelled by the user"
            else:
                status = "raised"
        self.result = RunResult(self.target, trace, status, error, self._findings(trace),
                                host.value, exit_code,
                                self.where if status == "timeout" else None)
        for callback in self.on_finished:
            callback(self.result)
        return self.result

    def _stop_recording(self) -> Trace:
        self._instruments.uninstall()  # a broken plugin is logged there: the trace is kept
        return self.recording.stop()

    async def run(self) -> RunResult:
        loop = asyncio.get_running_loop()
        before = asyncio.all_tasks(loop)
        self.recording.loop = loop
        self.recording.start()
        self._instruments = Instruments(self.plugins)
        self._instruments.install(self.recording)
        timer = None
        try:
            assert self.target.make_main is not None, "a program runs with run_program()"
            coro = self.target.make_main()
            self.main_task = loop.create_task(_exit_guard(coro), name="main")
            # The task runs our SystemExit guard around main(): name it after main itself.
            tracker = self.recording.tracker
            task_id = tracker.task_id_of(self.main_task) if tracker is not None else None
            entry = self.recorder.tasks.get(task_id) if task_id is not None else None
            if entry is not None:
                entry.coro = getattr(coro, "__qualname__", entry.coro)
            if self.timeout:
                timer = loop.call_later(self.timeout, self._on_timeout)
            if self._cancel_requested:
                self.main_task.cancel("cancelled by the user")
            await asyncio.wait({self.main_task})
            await self._settle_leftovers(loop, before)
        finally:
            if timer is not None:
                timer.cancel()
            trace = self._stop_recording()
        self.result = self._result(trace)
        for callback in self.on_finished:
            callback(self.result)
        return self.result

    async def _settle_leftovers(self, loop: asyncio.AbstractEventLoop,
                                before: set[asyncio.Task[Any]]) -> None:
        """Tasks the target started and left behind get a moment, then are cancelled."""
        current = asyncio.current_task()
        left = {t for t in asyncio.all_tasks(loop) - before if t is not current}
        if not left:
            return
        await asyncio.wait(left, timeout=LEFTOVER_GRACE_S)
        left = {t for t in left if not t.done()}
        for task in left:
            task.cancel("loopviz: the target's main() returned; cleaning up its tasks")
        if left:
            await asyncio.wait(left, timeout=LEFTOVER_CANCEL_WAIT_S)

    def _result(self, trace: Trace) -> RunResult:
        task = self.main_task
        status: RunStatus = "finished"
        error: str | None = None
        value: Any = None
        if task is None or not task.done():
            status, error = "cancelled", "main never finished"
        elif task.cancelled():
            status = "timeout" if self._timed_out else "cancelled"
            error = (f"stopped at the time limit of {self.timeout:g} s" if self._timed_out
                     else "cancelled by the user")
        else:
            exc = task.exception()
            if isinstance(exc, ScriptExit):
                status, error = "exited", str(exc)
            elif exc is not None:
                status = "raised"
                error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            else:
                value = task.result()
        return RunResult(self.target, trace, status, error, self._findings(trace), value)

    def _findings(self, trace: Trace) -> list[Finding]:
        try:
            return self.target.findings(trace)
        except Exception as exc:  # a check that breaks must not lose the run
            return [Finding(f"check failed: {type(exc).__name__}: {exc}", ok=False)]
