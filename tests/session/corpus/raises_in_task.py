"""A task that raises; main awaits it, so the program ends with the traceback."""
import asyncio


async def parse(text):
    await asyncio.sleep(0)
    return int(text)


async def main():
    print(await parse("41") + 1)
    await asyncio.create_task(parse("forty-two"))


asyncio.run(main())
