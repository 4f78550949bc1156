"""CPU work and the UI thread: inline, in a thread, or in a process.

Inline, the work holds the loop (and the UI) for its whole duration. In a worker thread the
loop stays free, but pure-Python work holds the GIL, which the UI thread must win back for
every step it runs: its frames get slower. In a process pool the work has its own interpreter
and its own GIL: the UI does not notice.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from loopviz.demos import evidence as ev
from loopviz.demos.base import FIXED, PITFALL, Demo, Param, Question
from loopviz.trace import Finding, Trace
from loopviz.trace.wording import duration

THREAD = "thread"


def count_primes(limit: int) -> int:
    # Pure-Python CPU work; module level, so a process pool can pickle it by name.
    count = 0
    for n in range(2, limit):
        if all(n % d for d in range(2, int(n**0.5) + 1)):
            count += 1
    return count


def render_frame() -> int:
    return sum(i * i for i in range(100_000))  # the UI's own small share of CPU per frame


async def animate(stop: asyncio.Event) -> int:
    # The UI: a frame every 20 ms, each needing a little CPU of its own.
    frames = 0
    while not stop.is_set():
        render_frame()
        frames += 1
        await asyncio.sleep(0.02)
    return frames


async def compute(variant: str, jobs: int, limit: int) -> list[int]:
    if variant == PITFALL:
        return [count_primes(limit) for _ in range(jobs)]  # inline, on the UI thread
    if variant == THREAD:
        return await asyncio.gather(*(asyncio.to_thread(count_primes, limit)
                                      for _ in range(jobs)))  # worker threads: same GIL
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter, safe next to Qt
    pool = ProcessPoolExecutor(max_workers=min(jobs, 2), mp_context=spawn)
    try:  # other processes, each with its own GIL
        return await asyncio.gather(*(asyncio.wrap_future(pool.submit(count_primes, limit))
                                      for _ in range(jobs)))
    finally:
        pool.shutdown(wait=False)


async def main(variant: str, jobs: int = 2, limit: int = 150_000) -> list[int]:
    stop = asyncio.Event()
    ui = asyncio.create_task(animate(stop), name="animate")
    await asyncio.sleep(0.4)  # some calm frames first, to compare with
    result = await asyncio.create_task(compute(variant, jobs, limit), name="compute")
    await asyncio.sleep(0.3)
    stop.set()
    await ui
    return result


async def main_gil(variant: str, jobs: int = 2, limit: int = 150_000) -> list[int]:
    return await main(THREAD if variant == PITFALL else FIXED, jobs, limit)


# ---- what the run proved ------------------------------------------------------------------
def check(trace: Trace, variant: str, jobs: int = 2, limit: int = 150_000) -> list[Finding]:
    ui = trace.ui_thread()
    work = ev.first_task(trace, "compute")
    anim = ev.first_task(trace, "animate")
    if work is None or anim is None:
        return [Finding("no compute or animate task was recorded", ok=False)]
    start, end = trace.lifetime(work.id)
    frames = trace.steps_of(anim.id)
    busy = [s.end_ns - s.start_ns for s in frames if start <= s.start_ns and s.end_ns <= end]
    timers = [(w.due_ns, w) for w in trace.waits_of(anim.id) if w.due_ns is not None]
    late_calm = ev.timer_lateness(w for due, w in timers if due < start)
    late_busy = ev.timer_lateness(w for due, w in timers if start <= due <= end)
    worst_late = max(late_busy, default=0)
    calm_p50, busy_p50 = ev.percentile(late_calm, 0.5), ev.percentile(late_busy, 0.5)
    where_ran = [j for j in trace.jobs if j.function.endswith("count_primes")]
    if variant == PITFALL:
        how = "inline, on the UI thread"
    elif variant == THREAD:
        names = sorted({ev.thread_name(trace, j.thread) for j in where_ran})
        how = f"{len(where_ran)} thread jobs on {', '.join(names)}"
    else:
        how = "in worker processes (no job ran on a thread of this process)"
    out = [Finding(f"{jobs} count_primes jobs took {duration(end - start)}, {how}",
                   ok=(len(where_ran) == jobs) == (variant == THREAD),
                   data={"work_s": (end - start) / 1e9,  # inline: the block it caused
                         **(ev.block_during(trace, start, end) if variant == PITFALL else {})})]
    frames_text = (f"{len(busy)} animation frames during the work; their timers fired "
                   f"{duration(busy_p50)} late (p50; before the work: {duration(calm_p50)}), "
                   f"at worst {duration(worst_late)}; "
                   f"slowest frame {duration(max(busy, default=0))}")
    data = {"frames_during": len(busy), "late_p50_s": busy_p50 / 1e9,
            "calm_late_p50_s": calm_p50 / 1e9, "worst_late_s": worst_late / 1e9}
    if variant == PITFALL:
        out.append(Finding(frames_text + ": the UI froze",
                           ok=worst_late >= 0.5 * (end - start), data=data))
    else:
        off_ui = all(j.thread not in (None, ui) for j in where_ran)
        out.append(Finding(
            frames_text + (": the UI thread waits for the GIL" if variant == THREAD else ""),
            ok=off_ui and worst_late < 0.5 * (end - start) and len(busy) >= 3, data=data))
    return out


def check_gil(trace: Trace, variant: str, jobs: int = 2, limit: int = 150_000) -> list[Finding]:
    return check(trace, THREAD if variant == PITFALL else FIXED, jobs, limit)


def _answer(trace: Trace, variant: str, jobs: int = 2, limit: int = 150_000) -> int:
    data = check_gil(trace, variant, jobs, limit)[-1].data
    if data.get("worst_late_s", 0) >= 0.2:
        return 2
    slowed = data.get("late_p50_s", 0) > 2 * data.get("calm_late_p50_s", 0) + 0.001
    return 1 if slowed else 0


PARAMS = (Param("jobs", "jobs", 2, 1, 4),
          Param("limit", "primes below", 150_000, 20_000, 400_000, 10_000))

DEMOS = [Demo(
    id="offload-cpu",
    title="Offloading CPU work",
    category="Threads and the UI thread",
    summary="Move CPU work off the UI thread; a process beats a thread because of the GIL.",
    explanation=(
        "animate draws a frame every 20 ms; compute counts primes. Pitfall (inline): compute "
        "runs on the UI thread, its lane is one long step and the frames stop. (A thread "
        "helps less than you would hope: see 'CPU work in a thread'.) "
        "Fixed (process pool): the jobs run in other processes, "
        "with their own GIL: the frames look as calm as before the work began. Starting a pool "
        "costs time too, which is why real apps keep one."
    ),
    csharp=(
        "C#: 'await Task.Run(() => HeavyCpuWork())' keeps the UI responsive, because pool "
        "threads run truly in parallel. Python: asyncio.to_thread keeps the loop free, but "
        "the GIL lets only one thread run Python bytecode at a time, so pure-Python CPU work "
        "in a thread still competes with the UI thread. For CPU-bound work that must not "
        "disturb the UI, use a ProcessPoolExecutor (or code that releases the GIL: numpy, "
        "hashlib, C extensions)."
    ),
    main=main,
    check=check,
    params=PARAMS,
), Demo(
    id="cpu-in-a-thread",
    title="CPU work in a thread: the GIL",
    category="Threads and the UI thread",
    summary="A thread frees the loop but not the GIL: the UI still waits; a process does not.",
    explanation=(
        "The same prime counting as 'Offloading CPU work'. Pitfall: asyncio.to_thread. The "
        "jobs run on the asyncio_N worker lanes and the animation keeps going, but its timers fire "
        "late and some frames stretch: each time the UI thread wakes it must win the GIL back "
        "from the workers (the findings compare timer lateness before and during the work). "
        "Fixed: a process pool, where each worker has its own interpreter and GIL: the frames "
        "stay as calm as before."
    ),
    csharp=(
        "C#: Task.Run runs CPU work truly in parallel on pool threads; the UI thread is not "
        "slowed. Python: the GIL lets one thread run Python bytecode at a time, so a "
        "pure-Python job in a thread competes with the UI thread for it. Use a "
        "ProcessPoolExecutor, or code that releases the GIL (numpy, hashlib, C extensions); "
        "free-threaded CPython 3.13t changes this picture."
    ),
    main=main_gil,
    check=check_gil,
    params=PARAMS,
    question=Question(
        "The prime counting moves to a worker thread. What happens to the animation?",
        ("It stays perfectly smooth", "It keeps going, but frames come late",
         "It freezes until the work is done"),
        _answer),
)]
