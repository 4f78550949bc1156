import asyncio
import threading
import time


async def main():
    loop = asyncio.get_running_loop()

    def worker():
        for _ in range(40):
            loop.call_soon(int)  # <- culprit
            time.sleep(0.002)

    thread = threading.Thread(target=worker, name="poker")
    thread.start()
    await asyncio.to_thread(thread.join)
