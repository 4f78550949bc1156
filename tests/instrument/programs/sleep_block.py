import asyncio
import time


async def main():
    await asyncio.sleep(0.05)
    time.sleep(0.3)  # <- culprit
    await asyncio.sleep(0.05)
