import asyncio


async def work():
    await asyncio.sleep(0.05)


async def main():
    await asyncio.gather(work(), work())
    raise KeyboardInterrupt  # as a program giving up would


asyncio.run(main())
