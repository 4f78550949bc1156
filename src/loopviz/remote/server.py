"""The served side: one daemon thread that accepts viewers and streams a Recorder to them.

Contract: nothing here runs on the program's loop or ever blocks it. The thread waits in
``select``; with no viewer it wakes only to apply the ring buffer about once a second (so an
idle program's samples do not pile up either). With viewers it ticks every ``interval``: one
:class:`~loopviz.remote.stream.Streamer` read under the recorder's lock, encoded once and
queued to every viewer (stored frames on loopback, else zstd, which runs without the GIL). A
tick costs ~0.5 ms whatever it carries, so one with little to send (fewer than ``BATCH_INTS``
raw ints waiting) waits, up to ``MAX_WAIT`` intervals: a quiet program is streamed ~4 times
a second, a busy one 10 times. A newcomer's queue starts with the past
(:class:`~loopviz.remote.past.Past`), whose frames are made only as its connection takes
them, and shared by the newcomers of one tick. Sockets are non-blocking and each viewer's
queue is bounded: a viewer that falls ``max_behind`` bytes behind gets an ``end`` frame
saying so and is dropped; a viewer that disconnects or is killed is simply forgotten. Errors
of a viewer never reach the program; an internal error stops serving with one line on stderr.
"""

from __future__ import annotations

import contextlib
import hmac
import io
import os
import selectors
import socket
import struct
import sys
import threading
import time
from collections import deque

import zstandard

from loopviz._version import __version__
from loopviz.export.framing import LEVEL, Compressor, FrameError, Stored, read_frames
from loopviz.export.wire import (
    HELLO_LIMITS,
    WIRE_VERSION,
    End,
    Hello,
    Refused,
    Welcome,
    WireError,
    encode_batch,
    message,
    parse_preamble,
    preamble,
    preamble_size,
    read_message,
)
from loopviz.remote.address import Address, AddressError
from loopviz.remote.past import Reader, Shared
from loopviz.remote.stream import Streamer
from loopviz.trace.recorder import Recorder

GREETING_S = 5.0  # a connection must say hello within this
CLOSING_S = 2.0  # a viewer being let go gets this long to take its last frames
TRIM_EVERY_S = 1.0  # the ring buffer, applied from the server's thread
BATCH_INTS = 1 << 14  # raw ints waiting (~4,000 steps) that are worth a tick at once
MAX_WAIT = 2.5  # else a tick waits at most this many intervals
_SIZES = struct.Struct("<II")


def _size(n: int) -> str:
    return f"{n / (1 << 20):g} MiB" if n >= 1 << 20 else f"{n / 1024:g} KiB"


class _Viewer:
    __slots__ = ("deadline", "inbox", "out", "peer", "queued", "sock", "state")

    def __init__(self, sock: socket.socket, peer: str) -> None:
        self.sock = sock
        self.peer = peer
        self.state = "greeting"  # -> pending (the past at the next tick) -> streaming; closing
        self.inbox = bytearray()
        self.out: deque[memoryview | Reader] = deque()
        self.queued = 0
        self.deadline = time.monotonic() + GREETING_S

    def queue(self, frames: list[bytes]) -> None:
        for frame in frames:
            self.out.append(memoryview(frame))
            self.queued += len(frame)

    def next_frame(self) -> bool:
        """The next frame of the past at the head of the queue, made now; False when the
        past is all sent (it leaves the queue)."""
        reader = self.out[0]
        assert isinstance(reader, Reader)
        frame = reader.shared.take(reader.k)
        if frame is None:
            self.out.popleft()
            reader.shared.leave(reader.k)
            return False
        self.out.appendleft(memoryview(frame))
        self.queued += len(frame)
        return True

    def let_go(self, frame: bytes | None) -> None:
        """Send nothing more but ``frame`` (after what is half sent), then close."""
        head = self.out[0] if self.out else None
        self.drop_readers()
        self.out.clear()
        self.queued = 0
        if isinstance(head, memoryview):  # perhaps half sent: a frame is never cut
            self.queue([bytes(head)])
        if frame is not None:
            self.queue([frame])
        self.state = "closing"
        self.deadline = time.monotonic() + CLOSING_S

    def drop_readers(self) -> None:
        for item in self.out:
            if isinstance(item, Reader):
                item.shared.leave(item.k)


class Server:
    """Serves ``recorder`` at ``address`` (port 0: one the system picks, see ``bound``)."""

    def __init__(self, recorder: Recorder, address: Address, *, token: str | None = None,
                 interval: float = 0.1, max_viewers: int = 8,
                 max_behind: int = 32 << 20) -> None:
        self.recorder = recorder
        self.address = address
        self.token = token
        self.interval = interval
        self.max_viewers = max_viewers
        self.max_behind = max_behind
        self.bound = address
        self.dropped_slow = 0  # viewers let go for falling behind
        self._streamer = Streamer(recorder)
        self._viewers: dict[socket.socket, _Viewer] = {}
        # Loopback: frames go stored; zstd would cost the program more than the bytes saved.
        self._cctx: Compressor = Stored() if address.loopback else \
            zstandard.ZstdCompressor(level=LEVEL)
        self._listener: socket.socket | None = None
        self._sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._stop: End | None = None
        self._thread: threading.Thread | None = None

    @property
    def viewers(self) -> int:
        return sum(1 for v in list(self._viewers.values()) if v.state == "streaming")

    def start(self) -> Server:
        """Bind (errors here, as one line: :class:`AddressError`) and start serving."""
        host, port = self.address.host, self.address.port
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            listener = socket.create_server((host, port), family=family, backlog=16)
        except socket.gaierror:
            raise AddressError(f"cannot serve at {self.address}: unknown host {host!r}") from None
        except OSError as exc:
            raise AddressError(f"cannot serve at {self.address}: "
                               f"{exc.strerror or exc}") from None
        listener.setblocking(False)
        self._listener = listener
        self.bound = Address(host, listener.getsockname()[1])
        self._sel.register(listener, selectors.EVENT_READ, "listener")
        self._wake_r.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._thread = threading.Thread(target=self._run, name="loopviz-serve", daemon=True)
        self._thread.start()
        return self

    def stop(self, reason: str = "stopped", text: str = "the program stopped serving",
             timeout: float = CLOSING_S + 1) -> None:
        """Send the last records and an ``end`` frame to every viewer, give them up to
        ``CLOSING_S`` to take it, close everything. Idempotent."""
        thread = self._thread
        if thread is None or self._stop is not None:
            return
        self._stop = End(reason, text, self.recorder.now())
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        if thread is not threading.current_thread():
            thread.join(timeout)

    # ---- the thread ---------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._serve()
        except Exception as exc:  # never the program's problem: say so once and stop
            print(f"loopviz: serving stopped after an internal error: {exc!r}",
                  file=sys.stderr)
        finally:
            for sock in list(self._viewers):
                self._forget(sock)
            for own in (self._listener, self._wake_r, self._wake_w):
                if own is not None:
                    own.close()
            self._sel.close()

    def _serve(self) -> None:
        next_tick = next_trim = last_tick = time.monotonic()
        while True:
            now = time.monotonic()
            waits = [v.deadline - now for v in self._viewers.values()
                     if v.state in ("greeting", "closing")]
            if any(v.state in ("pending", "streaming") for v in self._viewers.values()):
                waits.append(next_tick - now)
            if self.recorder.keep_last_ns is not None:
                waits.append(next_trim - now)
            for key, events in self._sel.select(max(0.0, min(waits)) if waits else None):
                self._event(key.fileobj, key.data, events)  # type: ignore[arg-type]
            now = time.monotonic()
            if self._stop is not None:
                self._finish(self._stop)
                return
            for sock, viewer in list(self._viewers.items()):
                if viewer.state in ("greeting", "closing") and now >= viewer.deadline:
                    self._forget(sock)
            if now >= next_tick:
                if self._worth_a_tick(now - last_tick):
                    self._tick()
                    last_tick = now
                next_tick = now + self.interval
            if now >= next_trim:
                self._streamer.trim(TRIM_EVERY_S)
                next_trim = now + TRIM_EVERY_S

    def _worth_a_tick(self, since_last: float) -> bool:
        if since_last >= MAX_WAIT * self.interval or \
                any(v.state == "pending" for v in self._viewers.values()):
            return True
        waiting = sum(self.recorder.raw_totals()) - sum(self._streamer.cursor)
        return waiting >= BATCH_INTS

    def _event(self, sock: socket.socket, data: object, events: int) -> None:
        if data == "listener":
            self._accept()
        elif data == "wake":
            with contextlib.suppress(OSError):
                self._wake_r.recv(64)
        else:
            viewer = self._viewers.get(sock)
            if viewer is None:
                return
            if events & selectors.EVENT_READ:
                self._read(viewer)
            if events & selectors.EVENT_WRITE and sock in self._viewers:
                self._flush(viewer)

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                sock, peer = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. too many open files: the program matters more
                return
            sock.setblocking(False)
            viewer = _Viewer(sock, str(peer[0]))
            self._viewers[sock] = viewer
            self._sel.register(sock, selectors.EVENT_READ, "viewer")
            viewer.queue([preamble(__version__)])  # first, so any client can tell who we are
            self._flush(viewer)

    def _read(self, viewer: _Viewer) -> None:
        try:
            data = viewer.sock.recv(1 << 16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the viewer left (or was killed): forget it, nothing else changes
            self._forget(viewer.sock)
            return
        if viewer.state == "greeting":
            viewer.inbox += data
            try:
                self._greet(viewer)
            except (WireError, FrameError):
                self._forget(viewer.sock)  # not a loopviz viewer: say nothing more

    def _greet(self, viewer: _Viewer) -> None:
        inbox = bytes(viewer.inbox)
        pre = parse_preamble(inbox)
        if pre is None:
            return
        if pre[0] != WIRE_VERSION:  # it read our preamble: it knows, and says so itself
            viewer.let_go(None)
            self._flush(viewer)
            return
        rest = inbox[preamble_size(inbox):]
        if len(rest) < _SIZES.size:
            return
        packed, raw = _SIZES.unpack_from(rest)
        if max(packed, raw) > HELLO_LIMITS.max_frame_bytes:
            raise WireError("hello too large")
        if len(rest) < _SIZES.size + packed:
            return
        frame = next(iter(read_frames(io.BytesIO(rest[:_SIZES.size + packed]), HELLO_LIMITS)))
        if frame.header.get("frame") != "hello":
            raise WireError("expected hello")
        hello: Hello = read_message("hello", frame.header)
        refusal = self._refusal(hello)
        if refusal is not None:
            viewer.let_go(message("refused", Refused(refusal), self._cctx))
            self._flush(viewer)
            return
        rec = self.recorder
        with rec.lock:
            meta = dict(rec.meta)
        keep = rec.keep_last_ns
        viewer.queue([message("welcome", Welcome(
            __version__, os.getpid(), rec.now(), rec.started_at,
            None if keep is None else keep / 1e9, self.interval, rec.loop_thread, meta),
            self._cctx)])
        viewer.state = "pending"
        viewer.inbox.clear()
        self._flush(viewer)

    def _refusal(self, hello: Hello) -> str | None:
        if self.token and not hmac.compare_digest((hello.token or "").encode(),
                                                  self.token.encode()):
            return ("this program wants a token: attach with --token (or LOOPVIZ_TOKEN)"
                    if not hello.token else "wrong token")
        taken = sum(1 for v in self._viewers.values() if v.state in ("pending", "streaming"))
        if taken >= self.max_viewers:
            return f"{taken} viewers are attached already (the most this program allows)"
        return None

    def _tick(self) -> None:
        streaming = [v for v in self._viewers.values() if v.state == "streaming"]
        pending = [v for v in self._viewers.values() if v.state == "pending"]
        if not streaming and not pending:
            return
        now = self.recorder.now()
        if streaming:
            delta = self._streamer.collect(now)
            frames = encode_batch(delta, self._cctx)
            for viewer in streaming:
                viewer.queue(frames)
                self._flush(viewer)  # what the connection takes now is not behind
                if viewer.sock in self._viewers and viewer.queued > self.max_behind:
                    self.dropped_slow += 1
                    viewer.let_go(message("end", End(
                        "too-slow", f"this viewer fell more than {_size(self.max_behind)} "
                        f"behind the program, which let it go", delta.now_ns), self._cctx))
                    self._flush(viewer)
        else:
            self._streamer.skip()
        if pending:
            past = Shared(self._streamer.past(now).frames(self._cctx), len(pending))
            for k, viewer in enumerate(pending):
                viewer.out.append(past.reader(k))
                viewer.state = "streaming"
                self._flush(viewer)

    def _flush(self, viewer: _Viewer) -> None:
        sock = viewer.sock
        try:
            while viewer.out:
                head = viewer.out[0]
                if isinstance(head, Reader):
                    viewer.next_frame()
                    continue
                sent = sock.send(head)
                viewer.queued -= sent
                if sent < len(head):
                    viewer.out[0] = head[sent:]
                    break
                viewer.out.popleft()
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:  # gone: reset, broken pipe
            self._forget(sock)
            return
        if viewer.state == "closing" and not viewer.out:
            self._forget(sock)
            return
        want = selectors.EVENT_READ | (selectors.EVENT_WRITE if viewer.out else 0)
        self._sel.modify(sock, want, "viewer")

    def _forget(self, sock: socket.socket) -> None:
        viewer = self._viewers.pop(sock, None)
        if viewer is not None:
            viewer.drop_readers()
            with contextlib.suppress(KeyError, ValueError):
                self._sel.unregister(sock)
        sock.close()

    def _finish(self, end: End) -> None:
        """The last records, the end frame, a little while to take them; then close."""
        for viewer in list(self._viewers.values()):
            if viewer.state == "greeting":
                self._forget(viewer.sock)
        self._tick()
        goodbye = message("end", end, self._cctx)
        for viewer in list(self._viewers.values()):
            if viewer.state != "closing":
                viewer.queue([goodbye])
                viewer.state = "closing"
                viewer.deadline = time.monotonic() + CLOSING_S
            self._flush(viewer)
        if self._listener is not None:
            self._sel.unregister(self._listener)
            self._listener.close()
            self._listener = None
        while self._viewers:
            now = time.monotonic()
            for sock, viewer in list(self._viewers.items()):
                if now >= viewer.deadline:
                    self._forget(sock)
            if not self._viewers:
                break
            for key, events in self._sel.select(0.05):
                self._event(key.fileobj, key.data, events)  # type: ignore[arg-type]
