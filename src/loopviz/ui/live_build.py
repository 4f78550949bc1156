"""BuildWorker: a local run's live builds on a thread of their own, off the UI thread.

The UI thread of a local run is the program's: every millisecond loopviz spends there is taken
from the program (issue #13). Deriving steps and waits from the recorder's raw records
(:class:`~loopviz.trace.incremental.IncrementalBuilder`) is numpy column work, a third of a
live frame's cost at 60,000 steps a second; here it runs on a plain worker thread, and the
UI thread only hands each finished trace to the views. The recorder is made for readers on
other threads (the builder reads it under ``Recorder.lock``); numpy releases the GIL for its
big array operations, so much of a build runs beside the program on another core. The rest
still takes the GIL from the program: ``cpu_ns`` counts the worker's CPU time, for the
benchmark to report beside the UI thread's share.

Contract: one build at a time, each asked for (:meth:`request`) and taken (:meth:`take`) by
the UI thread, in order: every trace built is taken (a trace left behind would break the
chain of growths the views follow). An exception in a build is raised again by ``take``.
"""

from __future__ import annotations

import threading
import time

from loopviz.trace import Trace
from loopviz.trace.incremental import IncrementalBuilder


class BuildWorker:
    """Builds ``builder``'s next trace on a daemon thread when asked."""

    def __init__(self, builder: IncrementalBuilder) -> None:
        self.builder = builder
        self.cpu_ns = 0  # the worker thread's CPU time in builds (it shares the GIL)
        self.builds = 0
        self._cv = threading.Condition()
        self._asked: tuple[int | None] | None = None  # a build asked for, not started yet
        self._busy = False
        self._done: Trace | None = None
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="loopviz live build",
                                        daemon=True)
        self._thread.start()

    @property
    def idle(self) -> bool:
        """No build asked for, under way or waiting to be taken."""
        with self._cv:
            return self._asked is None and not self._busy and self._done is None

    @property
    def caught_up(self) -> bool:
        """The last build taken read everything recorded (and none is pending)."""
        return self.idle and self.builder.caught_up

    def request(self, max_steps: int | None) -> bool:
        """Ask for the next build (at most ``max_steps`` new steps, None: all); False if one
        is already asked for, under way or not taken yet."""
        with self._cv:
            if self._closed or self._asked is not None or self._busy or self._done is not None:
                return False
            self._asked = (max_steps,)
            self._cv.notify_all()
            return True

    def take(self) -> Trace | None:
        """The finished build, if there is one (each is handed out once)."""
        with self._cv:
            error, self._error = self._error, None
            trace, self._done = self._done, None
        if error is not None:
            raise error
        return trace

    def wait(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for a build asked for to finish (the GIL is released
        meanwhile); True if one is ready to be taken (or nothing is under way)."""
        with self._cv:
            return self._cv.wait_for(
                lambda: self._done is not None or self._error is not None or
                (self._asked is None and not self._busy), timeout_s)

    def close(self) -> None:
        """Stop the thread once any build under way ends (its result is dropped)."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()

    def _serve(self) -> None:
        while True:
            with self._cv:
                self._cv.wait_for(lambda: self._closed or self._asked is not None)
                if self._closed:
                    return
                assert self._asked is not None
                (max_steps,), self._asked = self._asked, None
                self._busy = True
            start = time.thread_time_ns()
            trace: Trace | None = None
            error: BaseException | None = None
            try:
                trace = self.builder.build(max_steps)
            except BaseException as exc:  # handed to the UI thread by take()
                error = exc
            with self._cv:
                self.cpu_ns += time.thread_time_ns() - start
                self.builds += 1
                self._busy = False
                self._done, self._error = trace, error
                self._cv.notify_all()
