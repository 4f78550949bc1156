import asyncio
import time


async def main():
    await asyncio.sleep(0.01)
    time.sleep(30)  # <- culprit
