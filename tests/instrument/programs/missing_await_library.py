import asyncio


async def main():
    asyncio.sleep(0.05)  # <- culprit
    await asyncio.sleep(0.1)
