"""Starting, cancelling and finishing runs from the window, on the UI thread's own loop.

A run is a :class:`loopviz.session.Session`. A demo's ``run()`` coroutine becomes a task on the
qasync-based loop that *is* the UI thread: the program being watched shares the thread with the
window, exactly as a Qt app's async code would. A user's program runs as ``python`` runs it, from
a plain Qt slot, on a loop of its own on the same thread: its ``asyncio.run`` drives that loop
inside a nested Qt event loop (as a modal dialog runs), so the window stays live meanwhile. The
controller only starts and stops; the bridge feeds the views; the window decides what to show.

Invariants: at most one session runs at a time; ``finished`` is emitted exactly once per
started run, with its RunResult, or ``failed`` with a one-line message if loopviz itself broke
(the target's own errors are results, never failures).
"""

from __future__ import annotations

import asyncio
import traceback

from PySide6.QtCore import QObject, QTimer, Signal

from loopviz.session import RunResult, Session, Target, new_session


class RunController(QObject):
    started = Signal(object)  # Session
    finished = Signal(object)  # RunResult
    failed = Signal(str)

    def __init__(self, loop: asyncio.AbstractEventLoop, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loop = loop
        self.session: Session | None = None
        self.task: asyncio.Task[RunResult] | None = None
        self.result: RunResult | None = None
        self._program_running = False

    @property
    def running(self) -> bool:
        return self._program_running or (self.task is not None and not self.task.done())

    def start(self, target: Target, *, timeout: float | None = 60.0) -> Session | None:
        """Start ``target``; None if a run is already in flight."""
        if self.running:
            return None
        session = new_session(target, timeout=timeout)  # as `loopviz run` assembles one
        self.session = session
        self.result = None
        if target.program is not None:
            self._program_running = True
            QTimer.singleShot(0, lambda: self._run_program(session))
            self.started.emit(session)
            return session
        # Created before the session installs its task factory: the runner is not traced.
        self.task = self.loop.create_task(session.run(), name="loopviz: session")
        self.task.add_done_callback(self._done)
        self.started.emit(session)
        return session

    def cancel(self) -> bool:
        """Cancel the running target the way a CancellationToken would; False if idle."""
        if not self.running or self.session is None:
            return False
        self.session.cancel()
        return True

    def _run_program(self, session: Session) -> None:
        """The whole program, from a Qt slot (outside the UI loop's callbacks)."""
        from loopviz.loop import new_event_loop

        loop = new_event_loop()
        try:
            result = session.run_program(loop)
        except Exception as exc:  # loopviz itself broke: one line, the app goes on
            line = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self._program_running = False
            self.failed.emit(f"loopviz failed during the run: {line.splitlines()[-1]}")
            return
        finally:
            # The program's own asyncio.run already shut its generators and executor down;
            # the UI's loop runs again now, so this one is closed without running it.
            try:
                loop.close()
            except Exception:  # the program left it in a state we cannot tidy: drop it
                pass
            self._program_running = False
        self.result = result
        self.finished.emit(result)

    def _done(self, task: asyncio.Task[RunResult]) -> None:
        if task.cancelled():
            self.failed.emit("the run was stopped before it could finish")
            return
        exc = task.exception()
        if exc is not None:
            line = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self.failed.emit(f"loopviz failed during the run: {line.splitlines()[-1]}")
            return
        self.result = task.result()
        self.finished.emit(self.result)

    def shutdown(self) -> None:
        """Cancel whatever runs (the window is closing)."""
        self.cancel()
        if self.task is not None and not self.task.done():
            self.task.cancel()
