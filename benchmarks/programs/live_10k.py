"""10,000 tasks alive at once, stepping about 60,000 times a second for LIVE_SECONDS (default
3): the program the GUI must draw live (benchmarks/ui_share.py, issue #12 "Live at scale").

Each task, in turn: four ``sleep(0)`` hops (the loop's ready queue) and a nap of 0.4-0.7 s
(its timer heap), so every task stays alive (a lane each) for the whole run.
"""
import asyncio
import os

TASKS = 10_000
SECONDS = float(os.environ.get("LIVE_SECONDS", "3"))


async def ticker(i: int, end: float) -> int:
    loop = asyncio.get_running_loop()
    steps = 0
    while loop.time() < end:
        for _ in range(4):
            await asyncio.sleep(0)
        await asyncio.sleep(0.4 + (i % 7) * 0.05)
        steps += 5
    return steps


async def main() -> int:
    end = asyncio.get_running_loop().time() + SECONDS
    tasks = [asyncio.create_task(ticker(i, end), name=f"t-{i}") for i in range(TASKS)]
    return sum(await asyncio.gather(*tasks))


if __name__ == "__main__":
    print(asyncio.run(main()))
