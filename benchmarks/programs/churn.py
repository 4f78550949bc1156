"""20,000 tasks x 10 ``await asyncio.sleep(0)``: the churn of benchmarks/scale.py (a script).

Prints its in-program time and the monotonic instant ``main`` returned (stderr), so the
benchmark can tell the program's own time from what the tool adds before and after it.
Parameters come from the environment: CHURN_TASKS, CHURN_AWAITS.
"""
import asyncio
import os
import time

import bench

TASKS = int(os.environ.get("CHURN_TASKS", "20000"))
AWAITS = int(os.environ.get("CHURN_AWAITS", "10"))


async def hop() -> None:
    for _ in range(AWAITS):
        await asyncio.sleep(0)


async def main() -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(hop() for _ in range(TASKS)))
    bench.done(t0, c0)


if __name__ == "__main__":
    asyncio.run(main())
