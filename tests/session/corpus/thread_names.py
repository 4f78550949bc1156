"""Which threads run the work: asyncio's default executor, to_thread, and a named pool."""
import asyncio
import concurrent.futures
import threading


def whoami():
    return threading.current_thread().name


async def main():
    loop = asyncio.get_running_loop()
    print("to_thread:", await asyncio.to_thread(whoami))
    print("default executor:", await loop.run_in_executor(None, whoami))
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="db") as pool:
        print("own pool:", await loop.run_in_executor(pool, whoami))


asyncio.run(main())
