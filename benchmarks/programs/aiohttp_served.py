"""An aiohttp server on 127.0.0.1 that serves its own event loop's trace, and a load for it
(the README's screenshot of ``loopviz gui --attach``; see docs/BENCHMARKS.md).

    python aiohttp_served.py server HTTP_PORT LOOPVIZ_PORT [SECONDS]   # loopviz.serve() inside
    python aiohttp_served.py load HTTP_PORT [SECONDS] [CONCURRENCY]    # clients, elsewhere

The server's handlers are what a small web service does: ``/item`` awaits a "database" (a
short sleep) and renders; ``/search`` fans out to three "backends" at once; ``/report``
does its CSV formatting inline, a little CPU on the loop thread (the kind of work the
timeline makes visible); two background tasks refresh a cache and flush metrics. The load
keeps CONCURRENCY requests in flight.
"""
import asyncio
import random
import sys
import time

from aiohttp import ClientSession, web


async def db(ms: float) -> dict:
    await asyncio.sleep(ms / 1000)
    return {"id": random.randrange(1000), "name": "widget"}


async def item(request: web.Request) -> web.Response:
    row = await db(random.uniform(2, 12))
    return web.json_response(row)


async def search(request: web.Request) -> web.Response:
    hits = await asyncio.gather(*(db(random.uniform(5, 25)) for _ in range(3)))
    return web.json_response({"hits": hits})


async def report(request: web.Request) -> web.Response:
    rows = [await db(1) for _ in range(2)]
    lines = [",".join(f"{i * j:08d}" for j in range(40)) for i in range(150)]  # inline CPU
    return web.Response(text=f"{len(rows)} rows, {len(lines)} lines")


async def refresh_cache() -> None:
    """A background task beside the requests: reloads a cache four times a second."""
    while True:
        rows = await db(random.uniform(20, 40))
        sorted(str(rows) * 50)  # rebuild the cache: a little CPU on the loop thread
        await asyncio.sleep(0.25)


async def flush_metrics() -> None:
    while True:
        await asyncio.sleep(1.0)
        await db(5)


async def serve(http_port: int, loopviz_port: int, seconds: float) -> None:
    import loopviz

    with loopviz.serve(f"127.0.0.1:{loopviz_port}"):
        background = [asyncio.create_task(refresh_cache(), name="cache-refresher"),
                      asyncio.create_task(flush_metrics(), name="metrics-flusher")]
        app = web.Application()
        app.add_routes([web.get("/item", item), web.get("/search", search),
                        web.get("/report", report)])
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", http_port).start()
        print(f"http://127.0.0.1:{http_port}/ up", file=sys.stderr, flush=True)
        try:
            await asyncio.sleep(seconds)
        finally:
            for task in background:
                task.cancel()
            await runner.cleanup()


async def load(http_port: int, seconds: float, concurrency: int) -> None:
    paths = ["/item"] * 6 + ["/search"] * 3 + ["/report"]
    end = time.monotonic() + seconds
    done = 0

    async def client(session: ClientSession) -> None:
        nonlocal done
        while time.monotonic() < end:
            async with session.get(f"http://127.0.0.1:{http_port}{random.choice(paths)}") as r:
                await r.read()
            done += 1

    async with ClientSession() as session:
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
    print(f"{done} requests in {seconds:g} s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "server":
        asyncio.run(serve(port, int(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4
                          else 3600))
    else:
        asyncio.run(load(port, float(sys.argv[3]) if len(sys.argv) > 3 else 60,
                         int(sys.argv[4]) if len(sys.argv) > 4 else 8))
