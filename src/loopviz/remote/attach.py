"""``loopviz attach HOST:PORT``: receive a served program's trace for a while, headless.

The command attaches, receives until ``duration`` passes, the program ends its stream, the
connection breaks, or the user presses Ctrl-C, and then has a normal trace of what it received
(the buffered recent past first, then live), which the CLI saves and summarises. The program
is never affected: detaching only closes this viewer's connection.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loopviz.remote.client import Attachment
from loopviz.remote.serving import token_from_env
from loopviz.trace import Trace
from loopviz.trace.concurrency import in_flight_peak
from loopviz.trace.facts import facts


@dataclass(frozen=True, slots=True)
class Received:
    """What one attachment received, and how it ended."""

    trace: Trace
    address: str
    pid: int
    state: str  # detached (this viewer let go) | ended (the program ended it) | lost
    ending: str  # one line: why the stream ended
    past_ns: int  # the buffered recent past received on attaching
    live_ns: int  # received live, from attaching to the end
    keep_last_s: float | None

    def headline(self) -> str:
        target = self.trace.meta.get("target") or "the program"
        past = (f" after {self.past_ns / 1e9:.2f} s of buffered past" if self.past_ns else "")
        return (f"attached to {target} (pid {self.pid}) at {self.address}: "
                f"{self.live_ns / 1e9:.2f} s live{past}; {self.ending}")

    def summary(self) -> dict[str, Any]:
        """``loopviz run``'s summary keys, for what was received, plus ``attached``."""
        trace = self.trace
        out = trace.summary()
        out.update(
            status=self.state, error=None if self.state == "detached" else self.ending,
            findings=[], in_flight_max=in_flight_peak(trace),
            facts=[{"text": f.text, "ok": f.ok, "kind": f.kind, "count": f.count,
                    "t_ns": f.t_ns, "file": f.file, "line": f.line} for f in facts(trace)],
            attached={"address": self.address, "pid": self.pid, "state": self.state,
                      "ending": self.ending, "past_ns": self.past_ns,
                      "live_ns": self.live_ns, "keep_last_s": self.keep_last_s})
        return out


def receive(address: str, *, duration: float | None = None, token: str | None = None,
            on_attached: Callable[[Attachment], None] | None = None) -> Received:
    """Attach, receive, detach; :class:`~loopviz.remote.client.AttachError` if attaching
    fails. Ctrl-C ends receiving early and keeps what came."""
    attachment = Attachment(address, token=token).connect().start()
    if on_attached is not None:
        on_attached(attachment)
    try:
        deadline = None if duration is None else time.monotonic() + duration
        while not attachment.wait(0.2):
            if deadline is not None and time.monotonic() >= deadline:
                break
    except KeyboardInterrupt:
        pass
    finally:
        attachment.close()
    mirror = attachment.mirror
    welcome = attachment.welcome
    assert mirror is not None and welcome is not None
    trace = attachment.trace()
    served = mirror.served
    past_from = served["past_from_ns"]
    past = 0 if past_from is None else max(0, welcome.now_ns - past_from)
    return Received(trace, str(attachment.address), welcome.pid, attachment.state,
                    attachment.ending or "", past, max(0, mirror.now_ns - welcome.now_ns),
                    welcome.keep_last_s)


def receive_verbosely(address: str, duration: float | None,
                      token: str | None) -> Received:
    """:func:`receive` for ``loopviz attach``: says on stderr when it is attached and for how
    long it receives. ValueError (one line) for a bad ``duration``; AttachError, too, is one."""
    if duration is not None and not duration > 0:
        raise ValueError("--duration must be a positive number of seconds")
    span = f"for {duration:g} s" if duration else "until it ends (Ctrl-C: stop)"
    return receive(address, duration=duration, token=token_from_env(token),
                   on_attached=lambda a: print(f"loopviz: attached to {a.address}, "
                                               f"receiving {span}…", file=sys.stderr,
                                               flush=True))
