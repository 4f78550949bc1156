"""aiofiles for the file, and one blocking time.sleep that stalls the loop (and its ticker)."""
import asyncio
import os
import tempfile
import time

import aiofiles


async def write_and_count(path, n):
    async with aiofiles.open(path, "w") as f:
        await f.write("\n".join(str(i) for i in range(n)))
    async with aiofiles.open(path) as f:
        return len((await f.read()).splitlines())


async def ticker(ticks):
    for _ in range(10):
        await asyncio.sleep(0.02)
        ticks.append(time.monotonic())


async def main():
    with tempfile.TemporaryDirectory() as folder:
        ticks = []
        ticking = asyncio.create_task(ticker(ticks))
        lines = await write_and_count(os.path.join(folder, "numbers.txt"), 1000)
        time.sleep(0.3)  # <- blocks the loop
        await ticking
        print(f"{lines} lines, {len(ticks)} ticks")


asyncio.run(main())
