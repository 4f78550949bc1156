"""Qt's own warnings about threads, turned into ``wrong-thread-ui`` diagnostics.

Qt prints "Cannot create children for a parent that is in a different thread", "Timers cannot
be started from another thread", "It is not safe to use pixmaps outside the GUI thread"... when
a widget or QObject is touched from a worker thread. A message handler (installed for the run,
the previous one put back after, every message passed on to it) catches those and reports them
with the thread's name and the innermost user line on that thread's stack.
"""

from __future__ import annotations

import re
import sys
import threading
from typing import Any

from loopviz.instrument.report import caller_site, report_diagnostic, where

WRONG_THREAD = re.compile(
    r"different thread|another thread|other thread|outside the (?:GUI|main) thread|"
    r"not (?:the|in the) (?:GUI|main) thread|current thread", re.IGNORECASE)


class QtMessages:
    """A SessionPlugin. Invariant: while started, our handler is installed and chains to the
    one that was there before."""

    def __init__(self) -> None:
        self._prev: Any = None
        self._installed = False
        self.seen: list[str] = []

    def start(self, session: Any) -> None:
        self.install(session.recording)

    def stop(self, session: Any) -> None:
        self.uninstall()

    def install(self, recording: Any = None) -> None:
        from PySide6.QtCore import qInstallMessageHandler

        if not self._installed:
            self._prev = qInstallMessageHandler(self._handle)
            self._installed = True

    def uninstall(self) -> None:
        from PySide6.QtCore import qInstallMessageHandler

        if self._installed:
            qInstallMessageHandler(self._prev)
            self._installed = False
            self._prev = None

    def _handle(self, mode: Any, context: Any, message: str) -> None:
        try:
            if WRONG_THREAD.search(message):
                self.seen.append(message)
                file, line = caller_site(sys._getframe(1))
                name = threading.current_thread().name
                report_diagnostic(
                    "wrong-thread-ui",
                    f"Qt: {message.strip()} (from thread {name!r} at {where(file, line)}); "
                    f"widgets belong to the UI thread: hand the update over with "
                    f"call_soon_threadsafe or a Qt signal", file=file, line=line)
        finally:
            prev = self._prev
            if prev is not None:
                prev(mode, context, message)
            else:
                print(message, file=sys.stderr)
