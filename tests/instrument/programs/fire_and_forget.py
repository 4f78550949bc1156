import asyncio


async def boom():
    await asyncio.sleep(0.01)
    raise ValueError("lost")


async def main():
    asyncio.create_task(boom())  # noqa: RUF006 <- culprit
    await asyncio.sleep(0.5)
