"""An aiohttp server on 127.0.0.1 and an httpx client making 50 requests, ten at a time."""
import asyncio

import httpx
from aiohttp import web


async def square(request):
    n = int(request.query["n"])
    await asyncio.sleep(0.005)
    return web.json_response({"n": n, "square": n * n})


async def main():
    app = web.Application()
    app.router.add_get("/square", square)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    limit = asyncio.Semaphore(10)

    async def fetch(client, n):
        async with limit:
            response = await client.get(f"http://127.0.0.1:{port}/square", params={"n": n})
            return response.json()["square"]

    async with httpx.AsyncClient() as client:
        squares = await asyncio.gather(*(fetch(client, n) for n in range(50)))
    await runner.cleanup()
    print(f"{len(squares)} answers, sum {sum(squares)}")


if __name__ == "__main__":
    asyncio.run(main())
