"""First answer wins: ask several mirrors at once, use whichever answers first, and cancel the
rest. Forgetting the cancel leaves the losers running, their answers thrown away."""

from __future__ import annotations

import asyncio

from loopviz.demos.base import FIXED, Demo, Param, Question
from loopviz.trace import Finding, TaskInfo, Trace
from loopviz.trace.wording import duration


def latency_of(mirror: int, mirrors: int, fastest: float) -> float:
    # A fixed shuffle so the winner is not simply the first one started.
    return fastest * (1 + (mirror + 1) % mirrors)


async def query_mirror(mirror: int, latency: float) -> str:
    await asyncio.sleep(latency)  # the request in flight
    return f"answer from mirror-{mirror}"


async def main(variant: str, mirrors: int = 3, fastest: float = 0.3) -> str:
    requests = {asyncio.create_task(query_mirror(m, latency_of(m, mirrors, fastest)),
                                    name=f"mirror-{m}")
                for m in range(1, mirrors + 1)}
    # Wake up as soon as any one request is done (asyncio.as_completed would do too).
    done, pending = await asyncio.wait(requests, return_when=asyncio.FIRST_COMPLETED)
    answer = done.pop().result()
    if variant == FIXED:
        for request in pending:
            request.cancel()  # nobody needs these answers any more
        await asyncio.wait(pending)  # let them run their cleanup and end
    # Use the answer ("render the page"). In the pitfall the losers are still working.
    await asyncio.sleep(fastest * mirrors)
    return answer


def _race(trace: Trace) -> tuple[TaskInfo, list[TaskInfo]]:
    racers = sorted(trace.tasks_named("mirror-"),
                    key=lambda t: t.ended_ns if t.ended_ns is not None else trace.duration_ns)
    return racers[0], racers[1:]


def check(trace: Trace, variant: str, mirrors: int = 3, fastest: float = 0.3) -> list[Finding]:
    winner, losers = _race(trace)
    won_at = winner.ended_ns or trace.duration_ns
    expected_winner = min(range(1, mirrors + 1), key=lambda m: latency_of(m, mirrors, fastest))
    first = Finding(f"{winner.name} answered first, at {duration(won_at)}",
                    ok=winner.outcome == "result" and winner.name == f"mirror-{expected_winner}",
                    data={"won_at_s": won_at / 1e9})
    outcomes = {t.outcome for t in losers}
    after = [(t.ended_ns or trace.duration_ns) - won_at for t in losers]
    if variant == FIXED:
        return [first, Finding(
            f"the {len(losers)} other requests ended cancelled within {duration(max(after))} "
            f"of the winner", ok=outcomes == {"cancelled"} and max(after) < 0.1e9,
            data={"losers": len(losers), "cancelled_within_s": max(after) / 1e9})]
    wasted = sum(after)
    return [first, Finding(
        f"the {len(losers)} other requests ran on for up to {duration(max(after))} after the "
        f"winner ({duration(wasted)} in all) and returned answers nobody read",
        ok=outcomes == {"result"} and min(after) > 0,
        data={"losers": len(losers), "wasted_s": wasted / 1e9})]


def _losers_answer(trace: Trace, variant: str, **params: float) -> int:
    _, losers = _race(trace)
    return 0 if all(t.outcome == "cancelled" for t in losers) else 1


DEMO = Demo(
    id="first-completed",
    title="First answer wins",
    category="Composition",
    summary="asyncio.wait(FIRST_COMPLETED) returns at the first answer; cancel the others.",
    explanation=(
        "Several mirrors are asked the same question at once, each with a different latency. "
        "main waits with asyncio.wait(return_when=FIRST_COMPLETED) and wakes when the fastest "
        "one is done. In the pitfall the slower requests are simply forgotten: their lanes "
        "keep waiting and end with a result nobody reads (wasted work, and in real code open "
        "sockets). The fixed variant cancels them: their lanes end right after the winner's, "
        "marked cancelled. asyncio.as_completed gives the same 'first one first' order."
    ),
    csharp=(
        "C#: 'var first = await Task.WhenAny(tasks)', then cancel the rest through a shared "
        "CancellationTokenSource. Python has no token: asyncio.wait returns (done, pending) "
        "and you call cancel() on each pending task, which throws CancelledError into it at "
        "its current await. Unlike WhenAny, asyncio.wait never raises the winner's exception: "
        "call .result() on it."
    ),
    main=main,
    check=check,
    params=(Param("mirrors", "mirrors", 3, 2, 6),
            Param("fastest", "fastest latency", 0.3, 0.1, 0.5, 0.05, "s")),
    question=Question(
        "The first mirror has answered and main moves on. What happens to the slower ones?",
        ("they end cancelled right away", "they keep running to the end"),
        _losers_answer,
    ),
)
