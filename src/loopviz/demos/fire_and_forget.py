"""Fire-and-forget without protection: lost errors, and tasks that vanish mid-wait.

``asyncio.create_task`` returns the only strong reference to the task: the loop itself keeps
just a weak one. Drop it and nobody will ever see the task's exception, and a task that waits
on something only it knows about can be garbage-collected while still pending.
"""

from __future__ import annotations

import asyncio
import gc
import weakref

from loopviz.demos import evidence as ev
from loopviz.demos.base import FIXED, PITFALL, Demo, Param
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import place

COLLECTED = "collected"

# Replies are delivered through a registry that holds weak references, like many event
# registries and signal connections do: it will not keep a waiting future (or its task) alive.
mailbox: weakref.WeakValueDictionary[int, asyncio.Future[str]] = weakref.WeakValueDictionary()
background: set[asyncio.Task] = set()  # the fix: strong references to background tasks


async def send_receipt(order: int) -> None:
    await asyncio.sleep(0.1 * (order + 1))
    raise ConnectionError(f"mail server refused the receipt for order {order}")


async def wait_for_reply(order: int) -> str:
    reply = asyncio.get_running_loop().create_future()
    mailbox[order] = reply  # only a weak reference is stored
    return await reply  # suspended on a future that only this task holds


def deliver_reply(order: int) -> None:
    reply = mailbox.get(order)
    if reply is None:
        print(f"reply for order {order} arrived, but nobody is waiting any more")
    elif not reply.done():
        reply.set_result(f"reply to order {order}")


def report_failure(task: asyncio.Task) -> None:
    # A done-callback that retrieves the exception, so it is reported, not lost.
    background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        print(f"{task.get_name()} failed: {task.exception()!r}")


async def main(variant: str, orders: int = 3) -> None:
    loop = asyncio.get_running_loop()
    for order in range(orders):
        if variant == PITFALL:
            # No reference kept (linters flag it: ruff RUF006, the very pitfall shown here).
            asyncio.create_task(send_receipt(order), name=f"receipt-{order}")  # noqa: RUF006
        elif variant == COLLECTED:
            asyncio.create_task(wait_for_reply(order), name=f"listener-{order}")  # noqa: RUF006
            loop.call_later(0.6, deliver_reply, order)
        else:
            for coro, name in ((send_receipt(order), f"receipt-{order}"),
                               (wait_for_reply(order), f"listener-{order}")):
                task = asyncio.create_task(coro, name=name)
                background.add(task)  # keep a reference until it is done
                task.add_done_callback(report_failure)  # and look at how it ended
            loop.call_later(0.6, deliver_reply, order)
    await asyncio.sleep(0.3)
    gc.collect()  # the collector runs at some point anyway; here, at a repeatable moment
    await asyncio.sleep(0.5)


async def main_collected(variant: str, orders: int = 3) -> None:
    await main(COLLECTED if variant == PITFALL else FIXED, orders)


# ---- what the run proved ------------------------------------------------------------------
def check_collected(trace: Trace, variant: str, orders: int = 3) -> list[Finding]:
    return check(trace, COLLECTED if variant == PITFALL else FIXED, orders)


def check(trace: Trace, variant: str, orders: int = 3) -> list[Finding]:
    out = []
    receipts = ev.tasks_running(trace, "send_receipt")
    listeners = ev.tasks_running(trace, "wait_for_reply")  # names can be lost with the task
    lost = trace.diagnostics_of("exception-never-retrieved")
    collected = trace.diagnostics_of("task-collected-pending")
    if variant != COLLECTED:
        failed = [t for t in receipts if t.outcome == "exception"]
        out.append(Finding(f"{len(failed)} of {len(receipts)} receipt tasks failed",
                           ok=len(failed) == orders, data={"failed": len(failed)}))
        handled = [c for c in trace.callbacks if c.label.endswith("report_failure")]
        text = f"{len(lost)} exception-never-retrieved diagnostic(s)"
        if lost:
            text += f" (created at {place(lost[0].file, lost[0].line)})"
        if variant == PITFALL:
            out.append(Finding(text + "; nothing retrieved the errors",
                               ok=len(lost) >= 1 and not handled,
                               data={"never_retrieved": len(lost)}))
        else:
            out.append(Finding(text + f"; report_failure ran {len(handled)} time(s)",
                               ok=not lost and len(handled) >= orders,
                               data={"never_retrieved": len(lost), "handled": len(handled)}))
    if variant != PITFALL:
        answered = [t for t in listeners if t.outcome == "result"]
        vanished = [t for t in listeners if t.ended_ns is None]
        text = (f"{len(answered)} of {len(listeners)} listeners got their reply; "
                f"{len(vanished)} never ended; {len(collected)} task-collected-pending "
                f"diagnostic(s)")
        if variant == COLLECTED:
            ok = len(collected) >= 1 and not answered
        else:
            ok = not collected and len(answered) == orders
        out.append(Finding(text, ok=ok, data={"answered": len(answered),
                                              "collected": len(collected)}))
    return out


DEMOS = [Demo(
    id="fire-and-forget",
    title="Fire and forget",
    category="Pitfalls",
    summary="Keep a reference to every task and look at how it ended, or lose its errors.",
    explanation=(
        "Pitfall: three receipt tasks are started and forgotten. Each fails on its lane "
        "(red end), and an exception-never-retrieved diagnostic appears: nobody will ever see "
        "the error. Fixed: the tasks are kept in a set and a done-callback (report_failure, a "
        "plain callback on the loop lane) retrieves each result: every error is reported."
    ),
    csharp=(
        "C#: 'async void' and unobserved fire-and-forget Tasks lose exceptions (or crash the "
        "process); if you must, capture and log errors. Python: create_task without keeping "
        "the task is the same trap, with two differences: the error is only logged when the "
        "task object is collected ('Task exception was never retrieved'), and the loop holds "
        "tasks weakly, so a pending task nobody references can disappear. Keep a reference "
        "(a set, or a TaskGroup) and add a done-callback."
    ),
    main=main,
    check=check,
    params=(Param("orders", "orders", 3, 1, 6),),
), Demo(
    id="task-collected",
    title="Tasks collected mid-wait",
    category="Pitfalls",
    summary="The loop keeps tasks only weakly: keep a reference, or a waiting task can vanish.",
    explanation=(
        "Listener tasks wait for a reply future that a registry holds only weakly. Pitfall: "
        "nobody keeps the tasks either, so when the garbage collector runs (forced here, at "
        "0.3 s, to make it repeatable) it destroys them while pending: their lanes never end, "
        "a task-collected-pending diagnostic names the create_task line, and the replies "
        "arrive to nobody. Fixed: the tasks are kept in a set until done; every listener gets "
        "its reply."
    ),
    csharp=(
        "C#: a running Task is rooted by whatever will complete it, so it is not collected "
        "while pending. Python: the event loop keeps only weak references to tasks "
        "(asyncio's docs: 'save a reference to the result of create_task'), so a task waiting "
        "on something nobody else holds can be garbage-collected mid-wait, silently. Keep "
        "references (a set with a done-callback, or a TaskGroup)."
    ),
    main=main_collected,
    check=check_collected,
    params=(Param("orders", "orders", 3, 1, 6),),
)]
