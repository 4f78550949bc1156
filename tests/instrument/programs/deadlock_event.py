import asyncio
import threading


async def main():
    done = threading.Event()
    asyncio.get_running_loop().call_later(0.05, done.set)
    done.wait(timeout=0.6)  # <- culprit
    await asyncio.sleep(0.1)
    return done.is_set()
