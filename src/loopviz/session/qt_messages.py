"""Qt's own warnings about threads, turned into ``wrong-thread-ui`` diagnostics.

Qt prints "Cannot create children for a parent that is in a different thread", "Timers cannot
be started from another thread", "It is not safe to use pixmaps outside the GUI thread"... when
a widget or QObject is touched from a worker thread. A message handler (installed for the run,
the previous one put back after, every message passed on to it) catches those and reports them
with the thread's name and the innermost user line on that thread's stack.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

from loopviz import _cpython
from loopviz.instrument.plugin import RecordingView
from loopviz.instrument.report import caller_site, report_wrong_thread

WRONG_THREAD = re.compile(
    r"different thread|another thread|other thread|outside the (?:GUI|main) thread|"
    r"not (?:the|in the) (?:GUI|main) thread|current thread", re.IGNORECASE)


LOOP_HINT = ("an event loop belongs to the thread that runs it: from another thread use "
             "loop.call_soon_threadsafe or asyncio.run_coroutine_threadsafe")
_LOOP_FILE = os.path.join("loopviz", "loop", "qt_loop.py")


def _loop_method_on(frame: Any) -> str | None:
    """The name of loopviz's Qt loop method that asked Qt for this, if one did."""
    called: str | None = None
    while frame is not None:
        if frame.f_code.co_filename.endswith(_LOOP_FILE):
            called = str(frame.f_code.co_name)
        elif called is not None:
            return called  # the outermost loop method below the caller's frame
        frame = frame.f_back
    return called


class QtMessages:
    """An Instrument. Invariant: while installed, our handler is installed and chains to the
    one that was there before."""

    def __init__(self) -> None:
        self._prev: Any = None
        self._installed = False
        self.seen: list[str] = []
        self._sites: set[tuple[str, str, int]] = set()  # (message, file, line) passed on

    def install(self, recording: RecordingView | None = None) -> None:
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
        repeat = False
        try:
            if WRONG_THREAD.search(message):
                self.seen.append(message)
                frame = _cpython.getframe(1)
                file, line = caller_site(frame)
                text = message.strip()
                repeat = (text, file, line) in self._sites
                self._sites.add((text, file, line))
                method = _loop_method_on(frame)
                if method is not None:  # the loop itself, called from a foreign thread
                    report_wrong_thread(f"Qt: {text.rstrip('.')}; the event loop's {method}() "
                                        f"called", file, line, what=text, hint=LOOP_HINT)
                else:
                    report_wrong_thread(f"Qt: {text.rstrip('.')}; called", file, line,
                                        what=text)
        finally:
            prev = self._prev
            if repeat:
                pass  # the diagnostic counts it; the terminal got this site's first one
            elif prev is not None:
                prev(mode, context, message)
            else:
                print(message, file=sys.stderr)
