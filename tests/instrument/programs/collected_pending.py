import asyncio
import gc


async def wait_forever(fut):
    await fut


async def main():
    loop = asyncio.get_running_loop()
    asyncio.create_task(wait_forever(loop.create_future()))  # noqa: RUF006 <- culprit
    await asyncio.sleep(0.05)
    gc.collect()
    await asyncio.sleep(0.05)
