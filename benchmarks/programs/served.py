"""A program as a user would watch it from outside (benchmarks/serve.py): plain, recording, or
serving its loop with ``loopviz.serve()``, on ``asyncio.run``.

SERVED_MODE: plain | record (``loopviz.record(keep_last=60)``) | serve (``loopviz.serve()``,
its defaults: the last 60 s, probes on). SERVED_VIEWERS: with ``serve``, wait until this many
viewers are streaming before the work starts (so the whole workload is watched).
SERVED_WORK: churn (CHURN_TASKS tasks x CHURN_AWAITS ``sleep(0)``: the overhead figure) or
load (a server's steady load for SERVED_SECONDS: ~2,000 short requests a second beside a few
long-lived workers, for the memory figure). Prints its in-program wall and CPU time (the
whole process's CPU, the serving thread's included, and with ``serve`` the serving thread's
own) on stderr.
"""
import asyncio
import contextlib
import os
import sys
import time

MODE = os.environ.get("SERVED_MODE", "plain")
WORK = os.environ.get("SERVED_WORK", "churn")
VIEWERS = int(os.environ.get("SERVED_VIEWERS", "0"))
TASKS = int(os.environ.get("CHURN_TASKS", "20000"))
AWAITS = int(os.environ.get("CHURN_AWAITS", "10"))
SECONDS = float(os.environ.get("SERVED_SECONDS", "600"))


async def churn() -> None:
    async def hop() -> None:
        for _ in range(AWAITS):
            await asyncio.sleep(0)
    await asyncio.gather(*(hop() for _ in range(TASKS)))


async def load() -> None:
    async def request(k: int) -> int:
        await asyncio.sleep(0)
        return k

    async def worker(stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(0.05)

    stop = asyncio.Event()
    workers = [asyncio.create_task(worker(stop), name=f"worker-{n}") for n in range(4)]
    end = time.monotonic() + SECONDS
    created = 0
    while time.monotonic() < end:
        await asyncio.gather(*(request(k) for k in range(20)))
        created += 20
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.gather(*workers)
    print(f"created {created}", file=sys.stderr, flush=True)


async def main() -> None:
    if MODE == "plain":
        watch: contextlib.AbstractContextManager = contextlib.nullcontext()
    elif MODE == "record":
        import loopviz
        watch = loopviz.record(keep_last=60)
    else:
        import loopviz
        watch = loopviz.serve("127.0.0.1:0")
    with watch as serving:
        while VIEWERS and serving.viewers < VIEWERS:
            await asyncio.sleep(0.01)
        clock = None if MODE != "serve" else \
            time.pthread_getcpuclockid(serving.server._thread.ident)
        s0 = time.clock_gettime(clock) if clock is not None else 0.0
        t0, c0 = time.perf_counter(), time.process_time()
        await (churn() if WORK == "churn" else load())
        own = f" serving={time.clock_gettime(clock) - s0:.6f}" if clock is not None else ""
        print(f"BENCH in_program={time.perf_counter() - t0:.6f} "
              f"cpu={time.process_time() - c0:.6f}{own}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
