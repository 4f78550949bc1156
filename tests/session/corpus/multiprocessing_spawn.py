"""multiprocessing with the spawn start method: each child imports this file by its path."""
import asyncio
import multiprocessing


def cube(x):
    return x ** 3


async def main():
    loop = asyncio.get_running_loop()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        cubes = await loop.run_in_executor(None, pool.map, cube, range(6))
    print("cubes:", cubes)


if __name__ == "__main__":
    asyncio.run(main())
