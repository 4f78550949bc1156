"""Timeouts: give up at a deadline *and* stop the work, not only the waiting.

``async with asyncio.timeout(d)`` (or ``asyncio.wait_for``) cancels what it awaits when the
deadline passes and raises ``TimeoutError``. ``asyncio.wait(..., timeout=d)`` only stops
waiting: the work it was waiting for carries on, and nobody wants its result any more.
"""

from __future__ import annotations

import asyncio

from loopviz.demos._control import ended, task_called
from loopviz.demos.base import FIXED, PITFALL, Demo, Param, Question
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration


async def slow_service(seconds: float) -> str:
    await asyncio.sleep(seconds)  # a server that takes its time to answer
    return "reply"


async def ask_with_wait(fetch: asyncio.Task, deadline: float) -> str:
    # Like C#'s WaitAsync: stop *waiting* at the deadline... but nobody stops `fetch`.
    done, _ = await asyncio.wait({fetch}, timeout=deadline)
    if not done:
        raise TimeoutError(f"no reply within {deadline} s")
    return fetch.result()


async def ask_with_timeout(fetch: asyncio.Task, deadline: float) -> str:
    async with asyncio.timeout(deadline):  # at the deadline: cancel what we await here
        return await fetch  # (awaiting a task and being cancelled cancels that task too)


async def main(variant: str, deadline: float = 1.0, service: float = 2.5) -> None:
    fetch = asyncio.create_task(slow_service(service), name="fetch")
    ask = ask_with_wait if variant == PITFALL else ask_with_timeout
    request = asyncio.create_task(ask(fetch, deadline), name="request")
    try:
        await request
    except TimeoutError:
        pass  # the caller handles the timeout: show an error, use a cached value...
    await asyncio.wait({fetch})  # keep watching: what became of the work we gave up on?


def _moments(trace: Trace) -> dict[str, float] | None:
    request, fetch = task_called(trace, "request"), task_called(trace, "fetch")
    if request is None or fetch is None:
        return None
    return {"request_start": request.created_ns, "request_end": ended(trace, request),
            "fetch_end": ended(trace, fetch), "fetch_start": fetch.created_ns}


def check(trace: Trace, variant: str, deadline: float = 1.0,
          service: float = 2.5) -> list[Finding]:
    request, fetch, m = task_called(trace, "request"), task_called(trace, "fetch"), _moments(trace)
    if request is None or fetch is None or m is None:
        return [Finding("the request and fetch tasks did not run", ok=False)]
    gave_up = m["request_end"] - m["request_start"]
    after_deadline = m["fetch_end"] - m["request_end"]
    timed_out = request.outcome == "exception" and (request.exception or "").startswith(
        "TimeoutError")
    data = {"gave_up_s": gave_up / 1e9, "fetch_after_s": after_deadline / 1e9,
            "deadline_s": deadline, "service_s": service, "timed_out": float(timed_out)}
    near = abs(gave_up - deadline * 1e9) <= max(0.1 * deadline * 1e9, 5e7)
    first = Finding(
        f"request {'raised TimeoutError' if timed_out else 'ended ' + request.outcome} after "
        f"{duration(gave_up)} (deadline {duration(deadline * 1e9)})",
        ok=timed_out and near, data=data)
    if variant == PITFALL:
        second = Finding(
            f"fetch was not cancelled: it ran on {duration(after_deadline)} past the deadline and "
            f"ended with a {fetch.outcome} nobody used",
            ok=fetch.outcome == "result" and after_deadline > 0.5 * (service - deadline) * 1e9,
            data=data)
    else:
        second = Finding(
            f"fetch ended {fetch.outcome} at the deadline (within {duration(abs(after_deadline))} "
            f"of the TimeoutError), {duration(m['fetch_end'] - m['fetch_start'])} into its "
            f"{duration(service * 1e9)} job",
            ok=fetch.outcome == "cancelled" and abs(after_deadline) < 5e7, data=data)
    return [first, second]


def _answer(trace: Trace, variant: str, **params: float) -> int:
    fetch = task_called(trace, "fetch")
    return 0 if fetch is not None and fetch.outcome == "cancelled" else 1


DEMO = Demo(
    id="timeout",
    title="Timeouts that cancel",
    category="Control",
    summary="asyncio.timeout() cancels the late work at the deadline; wait(timeout=) only stops "
            "waiting for it.",
    explanation=(
        "A request asks a slow service (2.5 s) for a reply but will only wait 1 s. Pitfall: "
        "asyncio.wait(..., timeout=1) returns at the deadline and the request raises "
        "TimeoutError, but the 'fetch' lane keeps sleeping for another 1.5 s and ends with a "
        "result no one reads: wasted work, and in a real program a connection held open. "
        "Fixed: inside 'async with asyncio.timeout(1)', the deadline cancels the request's "
        "await, which cancels the fetch task it awaits: both lanes end at ≈1 s, fetch "
        "cancelled, request with TimeoutError. asyncio.wait_for(fetch, 1) does the same."
    ),
    csharp=(
        "C#: task.WaitAsync(timeout) stops waiting but does not stop the operation (just like "
        "the pitfall here); to stop it you pass a token from "
        "CancellationTokenSource.CancelAfter(timeout). Python's asyncio.timeout() and "
        "wait_for() are the CancelAfter kind: they cancel the awaited work and turn the "
        "CancelledError into TimeoutError (in Python 3.11+ the builtin TimeoutError, not "
        "TaskCanceledException). asyncio.shield() is how you opt out when the work must "
        "finish anyway."
    ),
    main=main,
    check=check,
    variants=(PITFALL, FIXED),
    params=(Param("deadline", "deadline", 1.0, 0.2, 2.0, 0.1, "s"),
            Param("service", "service takes", 2.5, 0.5, 3.0, 0.1, "s")),
    question=Question(
        "The request gives up after 1 s. What happens to the slow fetch it was waiting for?",
        ("it is cancelled at the deadline", "it keeps running until it finishes"),
        _answer,
    ),
)
