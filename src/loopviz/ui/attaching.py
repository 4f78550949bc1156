"""The window's attach mode: watch a program that serves its trace (``loopviz.serve()``,
``loopviz run --serve``) exactly as a run the window started, beginning with the recent past
the program kept.

Connecting happens on a thread (an address that does not answer costs the window nothing).
The attachment's own thread receives into its Mirror, a Recorder the bridge follows as it
follows a local run: the same timeline, responsiveness chart, findings and code view, live.
This window's repaints are not recorded into it (they are not the program's work). Cancel
(Esc) detaches; the program's end ends the stream; either way the window keeps what was
received as the final trace, says how the stream ended, and can save it.

Invariants: at most one attachment, and never during a run (the Run, Open and Attach actions
are disabled while either is live); ``finished`` is emitted once per attachment followed.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from loopviz.remote.address import AddressError
from loopviz.remote.client import AttachError, Attachment
from loopviz.remote.serving import token_from_env
from loopviz.trace.ring import kept_from
from loopviz.ui import files
from loopviz.ui.bridge import ATTACHED_SHARE
from loopviz.ui.explain import attached_html

POLL_MS = 100
DEFAULT_ADDRESS = "127.0.0.1:7341"
_NEEDS_TOKEN = ("wants a token", "wrong token")


def ask_address(parent: QWidget, suggested: str) -> str | None:
    """The address dialog (patched in tests)."""
    text, ok = QInputDialog.getText(
        parent, "Attach to a running program",
        "Where the program serves its trace (HOST:PORT),\n"
        "from loopviz.serve(...) or loopviz run --serve:", text=suggested)
    return text.strip() or None if ok else None


def ask_token(parent: QWidget, reason: str) -> str | None:
    """The token dialog, shown when the program asks for one (patched in tests)."""
    text, ok = QInputDialog.getText(parent, "Attach to a running program",
                                    f"{reason[:1].upper()}{reason[1:]}.\nToken:",
                                    QLineEdit.EchoMode.Password)
    return text or None if ok else None


class Attacher(QObject):
    connected = Signal(object)  # an Attachment, from the connecting thread
    connectFailed = Signal(str, object)  # message, the Attachment that failed
    finished = Signal(object)  # the Attachment, once its stream is over and shown

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.attachment: Attachment | None = None
        self.connecting = False
        self._fitted = False
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check)
        self.connected.connect(self.follow)
        self.connectFailed.connect(self._failed)
        window.commands.attach.triggered.connect(lambda: self.ask())
        window.commands.cancel.triggered.connect(self.detach)

    @property
    def active(self) -> bool:
        """Following a program's stream now."""
        return self.attachment is not None and self._poll.isActive()

    # ---- connecting ---------------------------------------------------------------------
    def ask(self) -> None:
        settings = self.window.settings
        address = ask_address(self.window, settings.last_attach() or DEFAULT_ADDRESS)
        if address:
            self.attach(address)

    def attach(self, address: str, token: str | None = None) -> bool:
        """Connect (on a thread) and follow; False if busy or the address is malformed."""
        window = self.window
        if self.active or self.connecting or window.runs.running:
            window.show_status("Finish the run or detach before attaching to a program.")
            return False
        try:
            attachment = Attachment(address, token=token_from_env(token))
        except AddressError as exc:
            files.show_error(window, "Attach", str(exc))
            return False
        self.connecting = True
        window.commands.attach.setEnabled(False)
        window.show_status(f"Attaching to {attachment.address}…")
        threading.Thread(target=self._connect, args=(attachment,), name="loopviz-connect",
                         daemon=True).start()
        return True

    def _connect(self, attachment: Attachment) -> None:  # on its own thread
        try:
            attachment.connect()
        except AttachError as exc:
            self.connectFailed.emit(str(exc), attachment)
        else:
            self.connected.emit(attachment)

    def _failed(self, message: str, attachment: Attachment) -> None:
        self.connecting = False
        self.window.commands.attach.setEnabled(not self.window.runs.running)
        if files.ErrorsToStderr.active is None and any(k in message for k in _NEEDS_TOKEN):
            token = ask_token(self.window, message.rpartition(": ")[2])
            if token:
                self.attach(str(attachment.address), token)
                return
        files.show_error(self.window, "Attach", message)
        self.window.show_status(message)

    # ---- following ----------------------------------------------------------------------
    def follow(self, attachment: Attachment, duration: float | None = None) -> None:
        """Show a connected attachment live, from its buffered past on (``duration``: then
        detach after that many seconds)."""
        self.connecting = False
        window = self.window
        mirror, welcome = attachment.mirror, attachment.welcome
        assert mirror is not None and welcome is not None
        self.attachment = attachment
        attachment.start()
        address = str(attachment.address)
        window.settings.set_last_attach(address)
        meta = mirror.recorder.meta
        window.read_only_path = None
        window.findings, window.status, window.selected_task = [], None, None
        window.show_recorded_target(meta)
        window.explanation.setHtml(attached_html(address, {**meta,
                                                           "started_at": welcome.started_at}))
        name = os.path.basename(str(meta.get("target") or "a program"))
        window.setWindowTitle(f"loopviz — {name} (attached at {address})")
        window.commands.set_running(True)
        window.controls.set_enabled_for_run(True)
        window.timeline.set_live(True)
        window.run_started = time.monotonic() - welcome.now_ns / 1e9  # the program's clock
        window.clock_timer.start()
        window.bridge.attach(mirror.recorder, own_work=False, max_share=ATTACHED_SHARE,
                             backlog=lambda: mirror.past_received or attachment.done.is_set())
        self._fitted = False
        window.bridge.traceUpdated.connect(self._first_view)
        self._poll.start()
        if duration is not None:
            QTimer.singleShot(round(duration * 1000), self.detach)
        keep = f"the last {welcome.keep_last_s:g} s it kept" if welcome.keep_last_s else \
            "what it recorded"
        window.show_status(f"Attached to {name} (pid {welcome.pid}) at {address}: {keep}, then "
                       f"live. Esc detaches; the program goes on.")

    def _first_view(self, trace: Any) -> None:
        """The first picture shows the whole buffered past, then follows live from there."""
        if trace is None or self._fitted:
            return
        self._fitted = True
        if self.window.timeline.follow:
            self.window.timeline.zoom_to_fit()

    def detach(self) -> bool:
        """Stop following (the program is not affected); False if not attached."""
        attachment = self.attachment
        if attachment is None or not self._poll.isActive():
            return False
        attachment.close()
        self._check()
        return True

    def _check(self) -> None:
        attachment = self.attachment
        if attachment is None or not attachment.done.is_set():
            return
        self._poll.stop()
        window = self.window
        window.bridge.traceUpdated.disconnect(self._first_view)
        trace = attachment.trace()
        window.bridge.finish(trace)
        window.end_live()
        window.commands.attach.setEnabled(True)
        ended = {"ended": "The program ended its stream", "lost": "The stream broke",
                 "detached": "Detached"}.get(attachment.state, attachment.state)
        window.show_status(f"{ended} ({attachment.ending}): showing the "
                       f"{trace.duration_ns / 1e9 - kept_from(trace):.1f} s received; "
                       f"File › Save trace keeps it.")
        self.finished.emit(attachment)


def connect_now(address: str, token: str | None) -> Attachment | str:
    """A connected attachment, or the one line that says why not (``gui --attach``, before
    any window appears)."""
    try:
        return Attachment(address, token=token_from_env(token)).connect()
    except (AddressError, AttachError) as exc:
        return str(exc)


def install(window: Any) -> Attacher:
    return Attacher(window)
