"""CPU work in a ProcessPoolExecutor: the program's own function is pickled to the workers."""
import asyncio
import concurrent.futures
import math


def count_primes(limit):
    return sum(1 for n in range(2, limit)
               if all(n % d for d in range(2, math.isqrt(n) + 1)))


async def main():
    loop = asyncio.get_running_loop()
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
        counts = await asyncio.gather(
            *(loop.run_in_executor(pool, count_primes, n) for n in (20_000, 30_000, 40_000)))
    print("primes below 20k, 30k, 40k:", counts)


if __name__ == "__main__":
    asyncio.run(main())
