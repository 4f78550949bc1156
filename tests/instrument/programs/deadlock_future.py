import asyncio
import concurrent.futures


async def work():
    await asyncio.sleep(0.01)
    return 42


async def main():
    loop = asyncio.get_running_loop()
    fut = asyncio.run_coroutine_threadsafe(work(), loop)
    try:
        return fut.result(timeout=0.6)  # <- culprit
    except concurrent.futures.TimeoutError:
        return await asyncio.wrap_future(fut)  # recovered: now the loop can run work()
