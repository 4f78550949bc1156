import asyncio

BIG = 40_000_000  # sum(range(BIG)) holds the GIL for roughly half a second


async def main():
    await asyncio.sleep(0.05)
    total = sum(range(BIG))  # <- culprit
    await asyncio.sleep(0.05)
    return total
