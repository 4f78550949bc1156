"""A viewer's connection to a served program: handshake, then a thread that receives batches
into a :class:`~loopviz.export.mirror.Mirror`.

Contract: :meth:`Attachment.connect` either returns within about ``timeout`` seconds or raises
:class:`AttachError` with one line that says what is at the address (nothing, something that
is not loopviz, a loopviz of another wire version, a refusal). Once receiving, the stream ends
in one of three ways, told apart in ``state`` and said in ``ending``: the program ended it
(``ended``: an ``end`` frame), the connection broke without one (``lost``: killed, crashed,
or no data for ``idle_timeout``), or this viewer let go (``detached``). What was received is
kept in every case.
"""

from __future__ import annotations

import socket
import threading
from typing import Any, BinaryIO

from loopviz._version import __version__
from loopviz.export.framing import FrameError, read_frames
from loopviz.export.mirror import Mirror
from loopviz.export.wire import (
    STREAM_LIMITS,
    WIRE_MAGIC,
    WIRE_VERSION,
    End,
    Hello,
    Refused,
    Welcome,
    WireError,
    decode_batch,
    message,
    parse_preamble,
    preamble,
    read_message,
)
from loopviz.remote.address import Address, parse_address
from loopviz.trace import Trace
from loopviz.trace.build import build_trace

CONNECT_TIMEOUT_S = 3.0
IDLE_TIMEOUT_S = 15.0  # the server ticks every ~0.1 s, even when the program's loop is stuck


class AttachError(ValueError):
    """Attaching failed: one line saying why (bad input for the CLI: it exits 2 with it)."""


class Attachment:
    def __init__(self, address: str | Address, *, token: str | None = None,
                 timeout: float = CONNECT_TIMEOUT_S,
                 idle_timeout: float = IDLE_TIMEOUT_S) -> None:
        self.address = address if isinstance(address, Address) else parse_address(address)
        self.token = token
        self.timeout = timeout
        self.idle_timeout = idle_timeout
        self.welcome: Welcome | None = None
        self.mirror: Mirror | None = None
        self.state = "connecting"  # -> receiving -> ended | lost | detached
        self.ending: str | None = None
        self._sock: socket.socket | None = None
        self._frames: Any = None
        self._stream: BinaryIO | None = None
        self._thread: threading.Thread | None = None
        self._closing = False
        self.done = threading.Event()

    # ---- connecting -------------------------------------------------------------------
    def connect(self) -> Attachment:
        where = str(self.address)
        try:
            sock = socket.create_connection((self.address.host, self.address.port),
                                            timeout=self.timeout)
        except ConnectionRefusedError:
            raise AttachError(f"nothing is serving at {where} (connection refused)") from None
        except socket.gaierror:
            raise AttachError(f"cannot attach to {where}: unknown host "
                              f"{self.address.host!r}") from None
        except TimeoutError:
            raise AttachError(f"no answer from {where} within {self.timeout:g} s") from None
        except OSError as exc:
            raise AttachError(f"cannot reach {where}: {exc.strerror or exc}") from None
        self._sock = sock
        try:
            self._handshake(sock, where)
        except BaseException:
            self._release()
            raise
        return self

    def _handshake(self, sock: socket.socket, where: str) -> None:
        stream: BinaryIO = sock.makefile("rb")
        self._stream = stream
        try:
            sock.sendall(preamble(__version__) + message("hello", Hello(__version__,
                                                                        self.token)))
        except OSError:
            pass  # a server that hangs up at once still gets its answer read below
        theirs = self._their_preamble(stream, where)
        if theirs[0] != WIRE_VERSION:
            raise AttachError(
                f"the program at {where} serves loopviz wire version {theirs[0]} (loopviz "
                f"{theirs[1]}); this loopviz {__version__} speaks version {WIRE_VERSION}: "
                f"attach with the same loopviz version")
        self._frames = read_frames(stream, STREAM_LIMITS)
        try:
            first = next(self._frames)
        except StopIteration:
            raise AttachError(f"{where} closed the connection before welcoming this "
                              f"viewer") from None
        except (TimeoutError, OSError, FrameError) as exc:
            raise AttachError(f"{where} did not welcome this viewer ({exc})") from None
        kind = first.header.get("frame")
        try:
            if kind == "refused":
                refused: Refused = read_message("refused", first.header)
                raise AttachError(f"{where} refused this viewer: {refused.reason}")
            if kind != "welcome":
                raise AttachError(f"{where} answered with a {str(kind)[:20]!r} frame "
                                  f"instead of a welcome")
            self.welcome = read_message("welcome", first.header)
        except WireError as exc:
            raise AttachError(f"{where}: {exc}") from None
        self.mirror = Mirror(self.welcome, where)
        sock.settimeout(self.idle_timeout)

    def _their_preamble(self, stream: BinaryIO, where: str) -> tuple[int, str]:
        """Read exactly the server's preamble (no byte of the frames after it), judging each
        piece as it comes: a wrong first byte is known at once, not after a timeout."""
        fixed = len(WIRE_MAGIC) + 5
        data = b""
        try:
            while len(data) < fixed:
                chunk = stream.read1(fixed - len(data))  # type: ignore[attr-defined]
                if not chunk:
                    said = f" after {len(data)} bytes" if data else " without a word"
                    raise AttachError(f"{where} is not a loopviz server (it closed the "
                                      f"connection{said})")
                data += chunk
                parse_preamble(data)  # raises as soon as it cannot be one
            data += stream.read(data[-1])
            parsed = parse_preamble(data)
        except WireError as exc:
            raise AttachError(f"{where} is not a loopviz server ({exc})") from None
        except TimeoutError:
            raise AttachError(f"{where} did not answer as a loopviz server within "
                              f"{self.timeout:g} s") from None
        except OSError as exc:
            raise AttachError(f"{where} is not a loopviz server (the connection failed: "
                              f"{exc.strerror or exc})") from None
        if parsed is None:
            raise AttachError(f"{where} is not a loopviz server (its answer was cut short)")
        return parsed

    # ---- receiving ----------------------------------------------------------------------
    def start(self) -> Attachment:
        if self.mirror is None:
            raise RuntimeError("connect() first")
        self.state = "receiving"
        self._thread = threading.Thread(target=self._receive, name="loopviz-attach",
                                        daemon=True)
        self._thread.start()
        return self

    def _receive(self) -> None:
        mirror = self.mirror
        assert mirror is not None
        state, ending = "lost", ("the connection closed without an end (the program was "
                                 "killed or crashed?)")
        try:
            for frame in self._frames:
                kind = frame.header.get("frame")
                if kind == "batch":
                    mirror.apply(decode_batch(frame.header, frame.columns))
                elif kind == "end":
                    end: End = read_message("end", frame.header)
                    mirror.now_ns = max(mirror.now_ns, end.now_ns)
                    state, ending = "ended", end.message
                    break
                else:
                    raise WireError(f"unexpected {str(kind)[:20]!r} frame")
        except TimeoutError:
            ending = f"no data from the program for {self.idle_timeout:g} s: stopped waiting"
        except (OSError, ValueError) as exc:  # reset; FrameError and WireError are ValueErrors
            if not isinstance(exc, OSError):
                ending = f"the program sent a malformed stream ({exc})"
            elif not self._closing:
                ending = f"the connection broke ({exc.strerror or exc})"
        if self._closing:
            state, ending = "detached", "this viewer detached; the program goes on"
        self.state, self.ending = state, ending
        mirror.finish(ending)
        self._release()
        self.done.set()

    def _release(self) -> None:
        if self._stream is not None:
            self._stream.close()
        if self._sock is not None:
            self._sock.close()

    def close(self) -> None:
        """Stop receiving (the program is not affected); keeps what was received."""
        self._closing = True
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(5.0)
        elif self.mirror is not None and not self.done.is_set():
            self.state, self.ending = "detached", "this viewer detached; the program goes on"
            self.mirror.finish(self.ending)
            self.done.set()
        self._release()

    def wait(self, timeout: float | None = None) -> bool:
        """True once the stream is over (the program ended it, or it broke)."""
        return self.done.wait(timeout)

    def trace(self) -> Trace:
        """What was received so far, as a trace (the final one once the stream is over)."""
        assert self.mirror is not None
        return build_trace(self.mirror.recorder)
