import asyncio
import gc


class Node:
    def __init__(self):
        self.me = self  # every node in a cycle: only the collector frees them


async def main():
    gc.disable()
    heap = [Node() for _ in range(500_000)]  # nothing collected yet: all of it pending
    await asyncio.sleep(0.3)  # beats enough to end the stall that making the heap was
    gc.set_threshold(1, 1, 1)
    gc.enable()  # the next allocation starts a full collection on its own
    more = [Node() for _ in range(10)]  # <- culprit
    gc.set_threshold(700, 10, 10)
    await asyncio.sleep(0.05)
    return len(heap) + len(more)
