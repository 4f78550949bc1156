"""Ticks, then ends as its first argument says: 'os._exit' (exit code 3), 'abort' (SIGABRT,
as a Qt fatal error does) or 'wait' (until killed). Writes the file named by its second
argument once it is under way."""
import asyncio
import os
import pathlib
import sys


async def tick():
    while True:
        await asyncio.sleep(0.01)


async def main(how, marker):
    ticker = asyncio.create_task(tick(), name="ticker")
    await asyncio.sleep(0.3)
    pathlib.Path(marker).write_text("ticking")
    await asyncio.sleep(0.5)
    if how == "os._exit":
        os._exit(3)
    if how == "abort":
        os.abort()
    await ticker


asyncio.run(main(*sys.argv[1:3]))
