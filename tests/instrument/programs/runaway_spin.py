import asyncio


async def ticker(ticks):
    while True:
        ticks.append(1)
        await asyncio.sleep(0.01)


async def spin():
    n = 0
    while True:  # never gives the UI thread back
        n += 1  # <- culprit


async def main():
    ticks = []
    bg = asyncio.create_task(ticker(ticks))
    try:
        await spin()
    finally:
        before = len(ticks)
        await asyncio.sleep(0.1)
        bg.cancel()
        assert len(ticks) > before, "the other task must carry on"
