import asyncio
import time


async def fetch(i):
    await asyncio.sleep(0.05 * (i + 1))
    time.sleep(0.005)  # short enough to be nobody's business
    return i


async def main():
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(fetch(i)) for i in range(3)]
    await asyncio.to_thread(time.sleep, 0.05)
    return [t.result() for t in tasks]
