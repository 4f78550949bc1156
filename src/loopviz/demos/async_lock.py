"""An async lock against a cache stampede: N readers miss the same key at once.

Without a lock every reader sees the miss and fetches the value itself: N identical calls to
the slow origin. With ``asyncio.Lock`` the first reader fetches while the others wait on the
lock (without blocking the thread), then find the value cached.
"""

from __future__ import annotations

import asyncio

from loopviz.demos._control import ended, waits_in
from loopviz.demos.base import FIXED, PITFALL, Demo, Param, Question
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration


async def fetch_from_origin(key: str, seconds: float) -> str:
    await asyncio.sleep(seconds)  # the slow, expensive call the cache is there to avoid
    return f"value of {key}"


class Cache:
    def __init__(self, fetch_s: float) -> None:
        self.data: dict[str, str] = {}
        self.lock = asyncio.Lock()
        self.fetch_s = fetch_s

    async def get_unlocked(self, key: str) -> str:
        if key not in self.data:  # every reader that arrives during the fetch misses...
            self.data[key] = await fetch_from_origin(key, self.fetch_s)  # ...and fetches
        return self.data[key]

    async def get_locked(self, key: str) -> str:
        async with self.lock:  # one reader at a time past this line
            if key not in self.data:  # the first one misses and fetches;
                self.data[key] = await fetch_from_origin(key, self.fetch_s)
        return self.data[key]  # the others waited on the lock and find it cached


async def reader(cache: Cache, variant: str, arrive_s: float) -> str:
    await asyncio.sleep(arrive_s)  # readers arrive a little apart, all during the fetch
    if variant == PITFALL:
        return await cache.get_unlocked("user:42")
    return await cache.get_locked("user:42")


async def main(variant: str, readers: int = 5, fetch_s: float = 0.8,
               gap: float = 0.1) -> list[str]:
    cache = Cache(fetch_s)
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(reader(cache, variant, i * gap), name=f"reader-{i + 1}")
                 for i in range(readers)]
    return [t.result() for t in tasks]


def _measure(trace: Trace) -> dict[str, float]:
    readers = trace.tasks_named("reader-")
    ids = [t.id for t in readers]
    fetches = waits_in(trace, fetch_from_origin, ids)
    lock_waits = [w for w in trace.waits if w.task in set(ids) and w.kind == "lock"]
    start = min((t.created_ns for t in readers), default=0)
    finish = max((ended(trace, t) for t in readers), default=0)
    return {"readers": len(readers), "fetches": len({w.task for w in fetches}),
            "lock_waiters": len({w.task for w in lock_waits}), "total_s": (finish - start) / 1e9}


def check(trace: Trace, variant: str, readers: int = 5, fetch_s: float = 0.8,
          gap: float = 0.1) -> list[Finding]:
    m = _measure(trace)
    n, fetches, waiters = int(m["readers"]), int(m["fetches"]), int(m["lock_waiters"])
    if variant == PITFALL:
        return [Finding(f"stampede: {n} readers made {fetches} identical fetches from the "
                        f"origin for one key; all done after {duration(m['total_s'] * 1e9)}",
                        ok=n == readers and fetches == n > 1, data=m)]
    return [Finding(f"{n} readers, {fetches} fetch from the origin; {waiters} waited on the "
                    f"lock and then found the value cached; all done after "
                    f"{duration(m['total_s'] * 1e9)}",
                    ok=n == readers and fetches == 1 and waiters >= 1, data=m)]


def _answer(trace: Trace, variant: str, **params: float) -> int:
    fetches = int(_measure(trace)["fetches"])
    return 0 if fetches <= 1 else 1


DEMO = Demo(
    id="async-lock",
    title="An async lock against a cache stampede",
    category="Control",
    summary="Without a lock N readers of a missing key fetch it N times; an asyncio.Lock "
            "makes it one fetch.",
    explanation=(
        "Five readers ask a cache for the same key, arriving 0.1 s apart while the first "
        "fetch (0.8 s) is still on its way. Pitfall: the check 'key not in cache' and the "
        "fetch are separated by an await, so every reader sees the miss and five lanes sleep "
        "in fetch_from_origin at once. Fixed: 'async with self.lock' around check-and-fetch: "
        "reader-1 fetches, the others wait on 'Lock.acquire' (a waiting segment of kind lock) "
        "and, once let in, find the value and return without fetching. One lock for the whole "
        "cache is the simplest fix; a busy cache keeps one lock (or one future) per key so "
        "unrelated keys do not queue behind each other."
    ),
    csharp=(
        "C#: there is no async lock keyword (the 'lock' statement cannot contain an await), "
        "so the seed builds AsyncLock on SemaphoreSlim(1, 1) with a Releaser. Python ships "
        "asyncio.Lock, used with 'async with'. It is not a threading.Lock: it only orders "
        "tasks on one event loop, and it is not re-entrant. Between two awaits a coroutine "
        "already runs alone (one thread), which is why the race only opens at the await."
    ),
    main=main,
    check=check,
    variants=(PITFALL, FIXED),
    params=(Param("readers", "readers", 5, 2, 10),
            Param("fetch_s", "fetch takes", 0.8, 0.2, 1.5, 0.1, "s"),
            Param("gap", "arrival gap", 0.1, 0.0, 0.3, 0.05, "s")),
    question=Question(
        "Five readers miss the same key while the first fetch is still running. With the "
        "lock, how many times is the origin called?",
        ("once", "five times"),
        _answer,
    ),
)
