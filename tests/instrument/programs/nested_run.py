import asyncio


async def step():
    await asyncio.sleep(0)


async def main():
    loop = asyncio.get_running_loop()
    try:
        loop.run_until_complete(step())  # <- culprit
    except RuntimeError as exc:
        return str(exc)
