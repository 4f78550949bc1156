import asyncio


async def main():
    asyncio.get_running_loop().stop()
    await asyncio.sleep(5)
