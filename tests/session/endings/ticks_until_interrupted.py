"""Ticks until Ctrl-C; writes the file named by its first argument once it is under way."""
import asyncio
import pathlib
import sys


async def tick(n):
    while True:
        await asyncio.sleep(0.01)


async def main():
    ticking = [asyncio.create_task(tick(i), name=f"ticker-{i}") for i in range(3)]
    await asyncio.sleep(0.2)
    pathlib.Path(sys.argv[1]).write_text("ticking")
    await asyncio.gather(*ticking)


asyncio.run(main())
