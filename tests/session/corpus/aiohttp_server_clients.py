"""An aiohttp server on 127.0.0.1 (an ephemeral port) and four clients calling it at once."""
import asyncio

from aiohttp import ClientSession, web


async def hello(request):
    await asyncio.sleep(0.01)
    return web.json_response({"hello": request.match_info["name"]})


async def client(session, base, i):
    answers = []
    for j in range(5):
        async with session.get(f"{base}/hello/c{i}-{j}") as response:
            answers.append((await response.json())["hello"])
    return answers


async def main():
    app = web.Application()
    app.router.add_get("/hello/{name}", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with ClientSession() as session:
        answers = await asyncio.gather(
            *(client(session, f"http://127.0.0.1:{port}", i) for i in range(4)))
    await runner.cleanup()
    for i, got in enumerate(answers):
        print(f"client {i}: {len(got)} answers, the last {got[-1]}")


if __name__ == "__main__":
    asyncio.run(main())
