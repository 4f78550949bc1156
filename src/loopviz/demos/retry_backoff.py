"""Retry with exponential backoff: after each failure, wait twice as long as the last time.

A service that is down needs time, not more requests. Retrying at once hammers it with
attempts that cannot succeed; backing off spends that time waiting (without blocking the
thread) and makes a handful of attempts instead.
"""

from __future__ import annotations

import asyncio
import itertools

from loopviz.demos._control import task_called, waits_in
from loopviz.demos.base import FIXED, PITFALL, Demo, Param, Question
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration


class FlakyService:
    """Down for the first ``outage`` seconds, then healthy."""

    def __init__(self, outage: float) -> None:
        self.up_at = asyncio.get_running_loop().time() + outage

    async def call(self) -> str:
        await asyncio.sleep(0.05)  # the round trip
        if asyncio.get_running_loop().time() < self.up_at:
            raise ConnectionError("503 service unavailable")
        return "200 OK"


async def call_with_retry(service: FlakyService, variant: str, first_delay: float,
                          max_attempts: int) -> str:
    delay = first_delay
    for attempt in itertools.count(1):
        try:  # each attempt is its own task, so failures show as red lanes
            return await asyncio.create_task(service.call(), name=f"attempt-{attempt}")
        except ConnectionError:
            if attempt == max_attempts:
                raise
        if variant == PITFALL:
            continue  # try again at once: the service is still down, and now busier
        await asyncio.sleep(delay)  # back off...
        delay *= 2  # ...and next time wait twice as long
    raise AssertionError("unreachable")


async def main(variant: str, outage: float = 1.5, first_delay: float = 0.1,
               max_attempts: int = 100) -> str:
    service = FlakyService(outage)
    client = asyncio.create_task(
        call_with_retry(service, variant, first_delay, max_attempts), name="client")
    return await client


def _measure(trace: Trace) -> dict[str, float]:
    attempts = trace.tasks_named("attempt-")
    failed = [t for t in attempts if t.outcome == "exception"]
    ok = [t for t in attempts if t.outcome == "result"]
    client = task_called(trace, "client")
    backoffs = waits_in(trace, call_with_retry, [client.id] if client else [], kind="sleep")
    # The delay each sleep asked for (its timer's due time); a busy machine can only make
    # the actual wake-up later, which would blur the ratios.
    waits = [((w.due_ns if w.due_ns is not None else w.end_ns) or trace.duration_ns)
             - w.start_ns for w in backoffs]
    ratios = [b / a for a, b in itertools.pairwise(waits) if a > 0]
    span = ((max(t.created_ns for t in attempts) - min(t.created_ns for t in attempts))
            if attempts else 0)
    return {"attempts": len(attempts), "failed": len(failed), "succeeded": len(ok),
            "waits": len(waits), "min_ratio": min(ratios, default=0.0),
            "max_ratio": max(ratios, default=0.0), "span_s": span / 1e9,
            **{f"wait_{i + 1}_s": w / 1e9 for i, w in enumerate(waits)}}


def check(trace: Trace, variant: str, outage: float = 1.5, first_delay: float = 0.1,
          max_attempts: int = 100) -> list[Finding]:
    m = _measure(trace)
    attempts, failed = int(m["attempts"]), int(m["failed"])
    result = "then one succeeded" if m["succeeded"] else "and none succeeded"
    if variant == PITFALL:
        rate = attempts / m["span_s"] if m["span_s"] > 0 else 0.0
        return [Finding(f"{failed} failed attempts {result}, retried at once: {attempts} "
                        f"calls in {duration(m['span_s'] * 1e9)} ({rate:.0f} per second) at a "
                        f"service that was down", ok=failed > 5 and m["waits"] == 0, data=m)]
    waits = [m[f"wait_{i + 1}_s"] for i in range(int(m["waits"]))]
    shown = ", ".join(duration(w * 1e9) for w in waits)
    # Each wait about twice the one before (a single wait has nothing to double).
    doubling = (m["min_ratio"] >= 1.6 and m["max_ratio"] <= 2.5) if len(waits) > 1 else (
        len(waits) == 1)
    return [Finding(f"{failed} failed attempts {result}; waits between them: {shown} "
                    f"(each {m['min_ratio']:.1f}–{m['max_ratio']:.1f}× the one before)",
                    ok=doubling and failed == len(waits) and m["succeeded"] == 1, data=m)]


def _answer(trace: Trace, variant: str, **params: float) -> int:
    attempts = int(_measure(trace)["attempts"])
    return 0 if attempts <= 8 else 1 if attempts <= 20 else 2


DEMO = Demo(
    id="retry-backoff",
    title="Retry with backoff",
    category="Control",
    summary="Retry a failing call after waits that double, instead of hammering it at once.",
    explanation=(
        "A service is down for its first 1.5 s. Each attempt is a short task (50 ms round "
        "trip) that ends red with ConnectionError until the service is back. Pitfall: the "
        "client retries the moment an attempt fails, so the timeline fills with ~30 red "
        "attempt lanes, all wasted, and a real service under load would only get slower. "
        "Fixed: after each failure the client's lane shows a sleep twice as long as the one "
        "before (0.1, 0.2, 0.4, 0.8 s): four failures, then the fifth attempt succeeds. Real "
        "clients also add random jitter to the waits so that many clients don't retry in "
        "lockstep, cap the delay, and give up after a number of attempts or a deadline."
    ),
    csharp=(
        "C#: a for loop with try/catch and 'await Task.Delay(delay, ct)', or Polly's "
        "WaitAndRetryAsync. Python: the same loop with 'await asyncio.sleep(delay)'; "
        "libraries such as tenacity or backoff package it as a decorator. Cancelling the "
        "task (or an asyncio.timeout around the whole retry) ends the waits too: the sleep is "
        "a place where CancelledError lands, the way Task.Delay honours its token."
    ),
    main=main,
    check=check,
    variants=(PITFALL, FIXED),
    params=(Param("outage", "service down for", 1.5, 0.3, 2.5, 0.1, "s"),
            Param("first_delay", "first wait", 0.1, 0.05, 0.5, 0.05, "s")),
    question=Question(
        "The service is down for its first 1.5 s (the default) and each attempt takes "
        "50 ms. How many attempts does the client make in all?",
        ("a handful (≤ 8)", "around a dozen or two", "thirty or so"),
        _answer,
    ),
)
