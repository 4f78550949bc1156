import asyncio
import sys


async def main():
    await asyncio.sleep(0)
    return sys.get_coroutine_origin_tracking_depth()
