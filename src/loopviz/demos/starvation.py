"""Thread-pool starvation: a small pool full of slow blocking calls makes quick jobs wait.

The default executor is shared by everything that calls ``to_thread``. When slow blocking
calls take every worker, a 10 ms job waits in the queue for the first one to finish.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from loopviz.demos import evidence as ev
from loopviz.demos.base import PITFALL, Demo, Param
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration


def legacy_report(seconds: float) -> str:
    time.sleep(seconds)  # a slow blocking call (an old database driver, say)
    return "report"


def read_config() -> str:
    time.sleep(0.01)  # a quick blocking call the UI is waiting for
    return "config"


async def main(variant: str, slow_calls: int = 4, workers: int = 2,
               seconds: float = 0.8) -> float:
    loop = asyncio.get_running_loop()
    shared = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="shared")
    # The fix, a bulkhead: slow calls get a pool of their own, so they cannot starve the rest.
    slow_pool = shared if variant == PITFALL else ThreadPoolExecutor(
        max_workers=workers, thread_name_prefix="slow")
    try:
        reports = [loop.run_in_executor(slow_pool, legacy_report, seconds)
                   for _ in range(slow_calls)]
        await asyncio.sleep(0.05)
        asked = loop.time()
        await loop.run_in_executor(shared, read_config)  # queued behind the slow calls?
        waited = loop.time() - asked
        await asyncio.gather(*reports)
        return waited
    finally:
        for pool in {shared, slow_pool}:
            pool.shutdown(wait=False)


# ---- what the run proved ------------------------------------------------------------------
def check(trace: Trace, variant: str, slow_calls: int = 4, workers: int = 2,
          seconds: float = 0.8) -> list[Finding]:
    quick = ev.jobs_named(trace, "read_config")
    slow = ev.jobs_named(trace, "legacy_report")
    if not quick:
        return [Finding("no read_config job was recorded", ok=False)]
    gap = ev.queue_gap(quick[0])
    slow_threads = {j.thread for j in slow}
    shares = quick[0].thread in slow_threads
    text = (f"read_config (10 ms of work) waited {duration(gap)} in the queue; "
            f"{len(slow)} slow calls held {len(slow_threads)} workers "
            + ("of the same pool" if shares else "of their own pool"))
    if variant == PITFALL:
        ok = gap >= 0.6 * seconds * 1e9 and min(slow_calls, workers) == len(slow_threads)
    else:
        ok = gap < 0.25 * seconds * 1e9 and not shares
    return [Finding(text, ok=ok, data={"queue_gap_s": gap / 1e9, "slow_workers":
                                       len(slow_threads)})]


DEMO = Demo(
    id="starvation",
    title="Thread-pool starvation",
    category="Threads and the UI thread",
    summary="Slow blocking calls can take every worker; quick jobs then queue behind them.",
    explanation=(
        "Four slow legacy_report calls (0.8 s each) are sent to a shared pool of two "
        "workers, then the UI asks for read_config, a 10 ms job. Pitfall: both worker lanes "
        "are busy with slow calls, so read_config's job waits in the queue (the gap between "
        "submitted and started) for most of a second: on screen, the app looks stuck. Fixed: "
        "the slow calls get a bulkhead, a pool of their own; read_config starts at once on "
        "the shared pool."
    ),
    csharp=(
        "C#: thread-pool starvation: when pool threads are blocked (sync-over-async, blocking "
        "I/O), new work queues and the whole application becomes unresponsive; the pool grows "
        "only slowly. Python: asyncio's default executor is a fixed-size ThreadPoolExecutor "
        "that never grows past min(32, CPUs + 4), so starvation is immediate. Keep blocking "
        "calls few, give slow ones their own executor, or use async libraries."
    ),
    main=main,
    check=check,
    params=(Param("slow_calls", "slow calls", 4, 1, 8), Param("workers", "pool size", 2, 1, 4),
            Param("seconds", "slow call", 0.8, 0.2, 1.5, 0.1, "s")),
)
