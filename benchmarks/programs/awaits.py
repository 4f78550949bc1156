"""One task awaiting AWAITS futures one after another, each resolved by a loop callback: a
single task with very many steps (benchmarks/scale.py, a script). AWAITS from the environment.
"""
import asyncio
import os
import time

import bench

AWAITS = int(os.environ.get("AWAITS", "25000"))


async def main() -> None:
    loop = asyncio.get_running_loop()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(AWAITS):
        fut = loop.create_future()
        loop.call_soon(fut.set_result, None)
        await fut
    bench.done(t0, c0)


if __name__ == "__main__":
    asyncio.run(main())
