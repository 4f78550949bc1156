"""10,000 short tasks in ten gathers of 1,000: the ui_share benchmark's target (a script)."""
import asyncio


async def short(i: int) -> int:
    await asyncio.sleep(0.001 * (i % 50))
    await asyncio.sleep(0.01)
    return i

async def main() -> int:
    total = 0
    for batch in range(10):
        tasks = [asyncio.create_task(short(batch * 1000 + i), name=f"t-{batch * 1000 + i}")
                 for i in range(1000)]
        total += sum(await asyncio.gather(*tasks))
        await asyncio.sleep(0.05)
    return total
