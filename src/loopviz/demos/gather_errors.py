"""When several tasks fail: ``gather`` raises the first error and leaves the others running;
``TaskGroup`` cancels the siblings and raises an ``ExceptionGroup`` with every error."""

from __future__ import annotations

import asyncio

from loopviz.demos.base import PITFALL, Demo, Param
from loopviz.trace import Finding, TaskInfo, Trace
from loopviz.trace.wording import duration


async def call_service(name: str, seconds: float) -> str:
    await asyncio.sleep(seconds)  # a healthy service answers after a while
    return f"{name}: ok"


async def call_failing(name: str, outage: asyncio.Event, error: type[Exception]) -> str:
    await outage.wait()  # every call in flight hits the outage at the same moment
    raise error(f"{name} is down")


async def main(variant: str, outage_at: float = 0.6, slow: float = 1.2) -> list[str]:
    outage = asyncio.Event()
    asyncio.get_running_loop().call_later(outage_at, outage.set)
    calls = {  # task name -> the coroutine it runs
        "call-users": call_service("users", outage_at / 2),
        "call-orders": call_failing("orders", outage, ValueError),
        "call-stock": call_failing("stock", outage, ConnectionError),
        "call-reports": call_service("reports", slow),
    }
    report: list[str] = []
    if variant == PITFALL:
        tasks = [asyncio.create_task(coro, name=name) for name, coro in calls.items()]
        try:
            await asyncio.gather(*tasks)
        except Exception as exc:
            report.append(repr(exc))  # only the first error arrives here
    else:
        try:
            async with asyncio.TaskGroup() as tg:
                for name, coro in calls.items():
                    tg.create_task(coro, name=name)
        except* Exception as group:
            report += [repr(e) for e in group.exceptions]  # every error, none lost
    # Show the error to the user for a moment. In the pitfall call-reports is still running.
    await asyncio.sleep(slow - outage_at / 2)
    return report


def _calls(trace: Trace) -> tuple[list[TaskInfo], list[TaskInfo]]:
    calls = trace.tasks_named("call-")
    return ([t for t in calls if t.outcome == "exception"],
            [t for t in calls if t.outcome != "exception"])


def _first_failure(trace: Trace, failed: list[TaskInfo]) -> int:
    return min((t.ended_ns or trace.duration_ns) for t in failed) if failed else 0


def check(trace: Trace, variant: str, outage_at: float = 0.6, slow: float = 1.2) -> list[Finding]:
    failed, others = _calls(trace)
    failed_at = _first_failure(trace, failed)
    errors = ", ".join(sorted((t.exception or "?").split(":")[0] for t in failed))
    first = Finding(f"{len(failed)} calls failed at {duration(failed_at)} ({errors})",
                    ok=len(failed) == 2,
                    data={"failed": len(failed), "failed_at_s": failed_at / 1e9})
    slow_task = max(others, key=lambda t: t.ended_ns or trace.duration_ns)
    slow_end = slow_task.ended_ns or trace.duration_ns
    if variant == PITFALL:
        return [first, Finding(
            f"gather raised the first error and cancelled nothing: {slow_task.name} ran on "
            f"for {duration(slow_end - failed_at)} after the failure and returned a result "
            f"nobody read",
            ok=slow_task.outcome == "result" and slow_end - failed_at > 0.1e9,
            data={"ran_on_s": (slow_end - failed_at) / 1e9})]
    cancelled = [t for t in others if t.outcome == "cancelled"]
    lag = max(((t.ended_ns or trace.duration_ns) - failed_at for t in cancelled), default=0)
    return [first, Finding(
        f"TaskGroup cancelled {len(cancelled)} sibling(s) within {duration(lag)} of the failure "
        f"and raised an ExceptionGroup of the {len(failed)} errors",
        ok=len(cancelled) == 1 and slow_task.outcome == "cancelled" and lag < 0.1e9,
        data={"cancelled": len(cancelled), "cancel_lag_s": lag / 1e9})]


DEMO = Demo(
    id="gather-errors",
    title="When several tasks fail",
    category="Composition",
    summary="gather raises the first error and cancels nothing; TaskGroup cancels and lists all.",
    explanation=(
        "Four calls run at once: 'users' answers quickly, 'orders' and 'stock' both fail when "
        "an outage hits, 'reports' is slow. With gather (pitfall) main receives only the first "
        "exception, and call-reports keeps running long after the failure: its lane goes on "
        "waiting while main already shows the error, and its result is lost. With TaskGroup "
        "(fixed) the first failure cancels call-reports at once (its lane ends cancelled right "
        "at the failure) and main gets an ExceptionGroup holding both errors, handled with "
        "except*. gather(return_exceptions=True) is the third way: every result and every "
        "exception come back as a list, nothing is cancelled."
    ),
    csharp=(
        "C#: 'await Task.WhenAll(...)' rethrows the first exception; the others wait in "
        "task.Exception, an AggregateException. Python's TaskGroup is the structured version: "
        "the first failure cancels the siblings, and the ExceptionGroup (Python 3.11's "
        "AggregateException) carries every error; 'except*' picks them out by type."
    ),
    main=main,
    check=check,
    params=(Param("outage_at", "outage at", 0.6, 0.2, 1.0, 0.1, "s"),
            Param("slow", "slow call", 1.2, 0.8, 2.0, 0.1, "s")),
)
