"""Attaching to the wrong thing fails fast with one line (exit 2); a viewer of another wire
version, without the token, or too slow to keep up is refused or let go, never the program."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import socket
import threading
import time
from collections.abc import Iterator

import pytest

import loopviz
from loopviz._version import __version__
from loopviz.export.wire import WIRE_VERSION, Hello, message, parse_preamble, preamble
from loopviz.remote.address import AddressError
from loopviz.remote.client import AttachError, Attachment
from loopviz.remote.serving import Serving
from tests.remote.served import loopviz as loopviz_cli
from tests.remote.served import timed


def one_line_exit_2(*args: str, env: dict[str, str] | None = None) -> str:
    proc, took = timed(loopviz_cli, "attach", *args, "--duration", "1", env=env)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stdout == "" and proc.stderr.count("\n") == 1, proc.stderr
    assert took < 8, "within a few seconds"
    return proc.stderr


@contextlib.contextmanager
def listening(handle) -> Iterator[str]:
    """A loopback server that hands each connection to ``handle`` on a thread."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                handle(conn, stop)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        server.close()


def test_attaching_to_nothing_is_one_line_and_exit_2():
    probe = socket.create_server(("127.0.0.1", 0))
    address = f"127.0.0.1:{probe.getsockname()[1]}"
    probe.close()  # nothing listens there now
    assert "nothing is serving at" in one_line_exit_2(address)


def test_attaching_to_a_web_server_says_it_is_not_loopviz():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        line = one_line_exit_2(f"127.0.0.1:{httpd.server_address[1]}")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert "is not a loopviz server" in line


def test_attaching_to_a_server_that_says_nothing_gives_up_in_seconds():
    def hold(conn: socket.socket, stop: threading.Event) -> None:
        stop.wait(6)

    with listening(hold) as address:
        assert "did not answer as a loopviz server" in one_line_exit_2(address)


def test_a_viewer_of_another_wire_version_gets_a_one_line_refusal():
    def future_server(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(preamble("9.9.0", wire=99) + b"frames a version 1 viewer cannot read")
        stop.wait(1)

    with listening(future_server) as address:
        line = one_line_exit_2(address)
    assert "wire version 99 (loopviz 9.9.0)" in line
    assert f"speaks version {WIRE_VERSION}" in line


async def busy(stop: threading.Event, ticks: list[int]) -> None:
    async def churn(k: int) -> int:
        await asyncio.sleep(0)
        return k

    while not stop.is_set():
        await asyncio.gather(*(churn(k) for k in range(50)))
        ticks.append(1)
        await asyncio.sleep(0.002)


@contextlib.contextmanager
def served_here(**kw: object) -> Iterator[tuple[Serving, list[int]]]:
    """A program served from a thread of this process (its own loop), with a busy workload;
    ``ticks`` grows as long as its loop runs."""
    ready, stop = threading.Event(), threading.Event()
    box: list = []
    ticks: list[int] = []

    async def main() -> None:
        serving = loopviz.serve("127.0.0.1:0", **kw)
        serving.quiet = True
        box.append(serving)
        with serving:
            ready.set()
            await busy(stop, ticks)

    thread = threading.Thread(target=asyncio.run, args=(main(),))
    thread.start()
    assert ready.wait(10)
    try:
        yield box[0], ticks
    finally:
        stop.set()
        thread.join(10)


def test_a_program_with_a_token_refuses_viewers_without_it():
    with served_here(token="sesame-street") as (serving, _):
        with pytest.raises(AttachError, match="wants a token"):
            Attachment(serving.address).connect()
        with pytest.raises(AttachError, match="refused this viewer: wrong token"):
            Attachment(serving.address, token="open-barley").connect()
        good = Attachment(serving.address, token="sesame-street").connect().start()
        time.sleep(0.3)
        good.close()
        assert good.state == "detached" and len(good.trace().steps) > 0
        line = one_line_exit_2(serving.address, env={"LOOPVIZ_TOKEN": "not-the-token"})
        assert "wrong token" in line


def test_serving_beyond_loopback_needs_the_flag_and_a_token():
    with pytest.raises(AddressError, match="not a loopback address"):
        loopviz.serve("0.0.0.0:0")
    with pytest.raises(AddressError, match="needs a token"):
        loopviz.serve("0.0.0.0:0", allow_remote=True, token=None)
    proc = loopviz_cli("run", "--serve", "0.0.0.0:0", "interleaving")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "--allow-remote" in proc.stderr


@pytest.mark.parametrize("theirs", [1, 99], ids=["version-1 viewer", "a future viewer"])
def test_a_viewer_of_another_version_is_shown_the_door_after_the_servers_preamble(theirs):
    """A version 1 viewer (tasks as rows) reads this preamble and says in one line that the
    program serves version 2: it never gets a frame it would misread."""
    with served_here() as (serving, _):
        sock = socket.create_connection(("127.0.0.1", serving.port), timeout=5)
        with sock:
            sock.sendall(preamble("0.0.9", wire=theirs) + message("hello", Hello("0.0.9")))
            got = b""
            while chunk := sock.recv(4096):
                got += chunk
        assert got == preamble(__version__), "its preamble, then the connection closes"
        assert parse_preamble(got) == (WIRE_VERSION, __version__) and WIRE_VERSION == 2


def test_a_viewer_that_stops_reading_is_let_go_and_the_program_goes_on():
    with served_here() as (serving, ticks):
        serving.server.max_behind = 1 << 12
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", serving.port))
        stalled.sendall(preamble(__version__) + message("hello", Hello(__version__)))
        follower = Attachment(serving.address).connect().start()
        deadline = time.monotonic() + 20
        while serving.server.dropped_slow == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        before = len(ticks)
        time.sleep(0.3)
        assert serving.server.dropped_slow == 1, "the stalled viewer was let go"
        assert len(ticks) > before, "the program's loop kept running"
        assert follower.state == "receiving"
        follower.close()
        stalled.close()
