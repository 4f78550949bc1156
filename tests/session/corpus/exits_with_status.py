"""sys.exit(asyncio.run(main())): the exit status is main's result."""
import asyncio
import sys


async def main():
    await asyncio.sleep(0.01)
    print("failing with status 3")
    return 3


sys.exit(asyncio.run(main()))
