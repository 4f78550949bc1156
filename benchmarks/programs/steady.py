"""A long steady run: 200 tasks stepping until STEADY_STEPS steps are done (by default
1,100,000: the 60-second server of issue #12, compressed), or for STEADY_SECONDS seconds
when that is set, each step a short sleep, like a server's workers (benchmarks/scale.py).
"""
import asyncio
import os
import sys
import time

TASKS = 200
STEPS = int(os.environ.get("STEADY_STEPS", "1100000"))
SECONDS = float(os.environ.get("STEADY_SECONDS", "0"))


async def worker(n: int, deadline: float) -> None:
    delay = 0.0 if not SECONDS else 0.01
    for _ in range(n):
        await asyncio.sleep(delay)
        if deadline and time.monotonic() > deadline:
            return


async def main() -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    per_task = STEPS // TASKS - 1 if not SECONDS else 1 << 60
    deadline = time.monotonic() + SECONDS if SECONDS else 0.0
    await asyncio.gather(*(worker(per_task, deadline) for _ in range(TASKS)))
    print(f"BENCH in_program={time.perf_counter() - t0:.6f} cpu={time.process_time() - c0:.6f} "
          f"main_end={time.monotonic():.6f}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
