"""A long steady run: 200 tasks stepping until STEADY_STEPS steps are done (by default
1,100,000: the 60-second server of issue #12, compressed), or for STEADY_SECONDS seconds
when that is set, each step a short sleep, like a server's workers (benchmarks/scale.py).
"""
import asyncio
import os
import time

import bench

TASKS = 200
STEPS = int(os.environ.get("STEADY_STEPS", "1100000"))
SECONDS = float(os.environ.get("STEADY_SECONDS", "0"))
DELAY = float(os.environ.get("STEADY_DELAY", "0.01"))  # each step's sleep when SECONDS is set


async def worker(n: int, deadline: float) -> int:
    """Steps ``n`` times (or until ``deadline``); returns how many steps it took."""
    delay = 0.0 if not SECONDS else DELAY
    for i in range(n):
        await asyncio.sleep(delay)
        if deadline and time.monotonic() > deadline:
            return i + 2
    return n + 1


async def main() -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    per_task = STEPS // TASKS - 1 if not SECONDS else 1 << 60
    deadline = time.monotonic() + SECONDS if SECONDS else 0.0
    steps = await asyncio.gather(*(worker(per_task, deadline) for _ in range(TASKS)))
    bench.done(t0, c0, f" program_steps={sum(steps)}")


if __name__ == "__main__":
    asyncio.run(main())
