import asyncio


async def save(n):
    await asyncio.sleep(0.01)


async def main():
    pending = save(1)  # <- culprit
    pending = None
    await asyncio.sleep(0.1)
    return pending
