import asyncio


async def partner(main_task):
    await main_task


async def main():
    other = asyncio.create_task(partner(asyncio.current_task()))
    await other  # <- where
