"""anyio: a task group, a memory object stream, and work sent to anyio's worker threads."""
import time

import anyio


def slow_square(x):
    time.sleep(0.02)
    return x * x


async def producer(send):
    async with send:
        for i in range(6):
            await send.send(i)
            await anyio.sleep(0.01)


async def consumer(receive, out):
    async with receive:
        async for item in receive:
            out.append(await anyio.to_thread.run_sync(slow_square, item))


async def main():
    send, receive = anyio.create_memory_object_stream(0)
    out = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(producer, send)
        tg.start_soon(consumer, receive, out)
    print("squares:", out)


anyio.run(main)
