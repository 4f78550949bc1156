import asyncio


async def save():
    await asyncio.sleep(0.01)


async def main():
    save()  # <- culprit
    await asyncio.sleep(0.1)
