"""Scale: what a user waits for and how much memory it takes, on the path users run.

Every figure is measured side by side in one run, in child processes (so peak memory is each
process's own, from ``wait4``), best of ``--repeat`` where it is a time:

1. churn: 20,000 tasks x 10 ``sleep(0)`` (``programs/churn.py``), plain ``python`` vs
   ``loopviz run`` with its defaults (the Qt loop, every diagnostic on, ``--trace``), the same
   with ``--loop asyncio``, and, reported beside, ``loopviz.record(probes=False)`` (no
   diagnostics) and viztracer when it is installed. In-program time (the script's own clock),
   time after ``main`` returned (build + save + exit), the whole run and peak memory; then the
   recording's bytes per step when ``main`` returned (a separate run: ``programs/bench.py``).
2. load: ``load_trace`` of each file written, in a fresh process.
3. a 1.1M-step run of 200 tasks (``programs/steady.py``): time after ``main``, peak memory and
   bytes per step. By default compressed (``sleep(0)``, ~3 s); ``--full``: the issue's 60-second
   run (``sleep(0.01)`` for 60 s). Then 200,000 tasks x 5 ``sleep(0)`` (the churn, wider).
4. one task awaiting 25k / 50k / 100k futures (``programs/awaits.py``): growth of the time
   after ``main`` and of the whole run (linear is 4x).
5. Chrome export (``loopviz export``) of every file written: peak memory.

Children may write bytecode (``PYTHONDONTWRITEBYTECODE`` is dropped from their environment)
and each churn variant runs once before it is timed: an installed loopviz has its ``.pyc``
files, and a first run that compiles ~60 modules is not what users wait for each time.

    python benchmarks/scale.py [--repeat N] [--quick] [--full]
                               [--only churn,load,steady,wide,awaits,export]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROGRAMS = HERE / "programs"
LOOPVIZ = [sys.executable, "-m", "loopviz"]
LITE = ("import asyncio, runpy, sys, loopviz\n"
        "ns = runpy.run_path(sys.argv[1])\n"
        "async def main():\n"
        "    with loopviz.record(probes=False) as rec:\n"
        "        await ns['main']()\n"
        "    rec.save(sys.argv[2])\n"
        "asyncio.run(main())\n")


@dataclass
class Run:
    wall: float  # the whole process, start to exit
    in_program: float  # the script's own clock around its work
    cpu: float  # the process's CPU time over the same span (all its threads)
    after_main: float  # main returned -> process exited (build, save, teardown)
    after_cpu: float  # the CPU time of the same span (steadier than wall on a loaded machine)
    peak_mb: float
    out: str
    fields: dict[str, str]  # the BENCH line's


def child(argv: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``argv`` to the end; its peak RSS from wait4, its BENCH line from stderr."""
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        start = time.monotonic()
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        # The programs import their BENCH helper (programs/bench.py), however they are run.
        base["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROGRAMS),
                                                           base.get("PYTHONPATH")]))
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env={**base, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        end = time.monotonic()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        out.seek(0)
        text = err.read().decode(errors="replace")
        stdout = out.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{text[-3000:]}")
    fields = dict(part.split("=", 1) for line in text.splitlines() if line.startswith("BENCH ")
                  for part in line.split()[1:])
    in_program = float(fields.get("in_program", "nan"))
    cpu = float(fields.get("cpu", "nan"))
    main_end = float(fields.get("main_end", "nan"))
    after_cpu = usage.ru_utime + usage.ru_stime - float(fields.get("cpu_end", "nan"))
    return Run(end - start, in_program, cpu, end - main_end, after_cpu, usage.ru_maxrss / 1024,
               stdout + text, fields)


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.in_program if r.in_program == r.in_program else r.wall)


def verdict(value: float, target: float) -> str:
    return f"target <= {target:g}: {'met' if value <= target else 'MISSED'}"


def churn(repeat: int, tmp: Path, env: dict[str, str]) -> Path:
    script = str(PROGRAMS / "churn.py")
    trace = tmp / "churn.loopviz"
    variants: dict[str, list[str]] = {
        "plain asyncio": [sys.executable, script],
        "loopviz run (Qt loop, defaults)": [*LOOPVIZ, "run", "--trace", str(trace), script],
        "loopviz run --loop asyncio": [*LOOPVIZ, "run", "--loop", "asyncio", "--trace",
                                       str(tmp / "churn-asyncio.loopviz"), script],
        "record(probes=False), beside": [sys.executable, "-c", LITE, script,
                                         str(tmp / "lite.loopviz")],
    }
    if importlib.util.find_spec("viztracer") is not None:
        variants["viztracer, beside"] = [sys.executable, "-m", "viztracer", "--quiet", "-o",
                                         str(tmp / "viz.json"), script]
        variants["viztracer --log_async, beside"] = [
            sys.executable, "-m", "viztracer", "--quiet", "--log_async", "-o",
            str(tmp / "viz-async.json"), script]
    results: dict[str, list[Run]] = {name: [] for name in variants}
    spreads: list[float] = []
    for argv in variants.values():  # warm: bytecode written, files in the page cache
        child(argv, env)
    for _ in range(repeat):  # interleaved, so machine noise hits every variant alike
        for name, argv in variants.items():
            results[name].append(child(argv, env))
    plain = best(results["plain asyncio"])
    tasks, awaits = env.get("CHURN_TASKS", "20000"), env.get("CHURN_AWAITS", "10")
    print(f"1. churn: {tasks} tasks x {awaits} sleep(0); each column the best of {repeat} "
          f"interleaved runs")
    print(f"   {'':34s} {'in-program':>10s} {'x plain':>8s} {'cpu x':>6s} {'before':>7s} "
          f"{'after main':>10s} {'whole':>8s} {'x plain':>8s} {'peak MB':>8s}")
    whole_plain = min(x.wall for x in results["plain asyncio"])
    cpu_plain = min(x.cpu for x in results["plain asyncio"])
    for name, runs in results.items():
        r = best(runs)
        target = {"loopviz run (Qt loop, defaults)": 1.5, "loopviz run --loop asyncio": 1.3}
        ratio = r.in_program / plain.in_program
        note = f"  {verdict(ratio, target[name])}" if name in target else ""
        before = min(x.wall - x.in_program - x.after_main for x in runs)  # start-up
        after, whole = min(x.after_main for x in runs), min(x.wall for x in runs)
        cpu = min(x.cpu for x in runs) / cpu_plain
        print(f"   {name:34s} {r.in_program:9.3f}s {ratio:7.2f}x {cpu:5.2f}x {before:6.2f}s "
              f"{after:9.2f}s {whole:7.2f}s {whole / whole_plain:7.2f}x {r.peak_mb:8.0f}{note}")
        spreads.append(max(x.in_program for x in runs) / min(x.in_program for x in runs))
    print(f"   noise: slowest / fastest in-program run of a variant {min(spreads):.2f}-"
          f"{max(spreads):.2f}x (cpu x: the same span in CPU time, best of each; steadier on "
          f"a loaded machine)")
    after = min(x.after_main for x in results["loopviz run (Qt loop, defaults)"])
    print(f"   after main returned, loopviz run: {after:.2f} s (build + findings + save + exit; "
          f"{verdict(after, 0.5)} for build + save)")
    whole = min(x.wall for x in results["loopviz run (Qt loop, defaults)"])
    print(f"   whole `loopviz run --trace` (start to saved file and exit) {whole:.2f} s vs plain "
          f"python {whole_plain:.2f} s: {whole / whole_plain:.2f}x")
    print(f"   {recording(script, env)}")
    return trace


def load(trace: Path, repeat: int) -> None:
    code = ("import sys, time\nfrom loopviz.export import load_trace\nt0 = time.perf_counter()\n"
            "tr = load_trace(sys.argv[1])\n"
            "print(f'BENCH in_program={time.perf_counter() - t0:.6f} main_end=0', "
            "file=sys.stderr)\nprint(len(tr.steps))\n")
    runs = [child([sys.executable, "-c", code, str(trace)]) for _ in range(repeat)]
    r = best(runs)
    steps = int(r.out.split()[0])
    per = r.in_program * 220_000 / max(steps, 1)
    print(f"2. load of {trace.name}: {steps} steps, {trace.stat().st_size / 1e6:.1f} MB file: "
          f"{r.in_program:.3f} s ({per:.3f} s per 220k steps, {verdict(per, 0.5)}); "
          f"peak {r.peak_mb:.0f} MB")


def size_note(r: Run) -> str:
    """The recording's bytes per step when ``main`` returned (``BENCH_RECORDING`` runs)."""
    f = r.fields
    if "whole" not in f:
        return ""
    steps = int(f["steps"])
    whole, hot = int(f["whole"]) / steps, int(f["hot"]) / steps
    return (f"recording {whole:.1f} B/step ({verdict(whole, 64)}; hot step/wake/due records "
            f"{hot:.1f} B/step, the rest task entries, sites, names)")


def recording(script: str, env: dict[str, str]) -> str:
    """A separate ``loopviz run`` measuring the recording's size when ``main`` returns (its
    object walk takes memory and time of its own, so it is not the timed run)."""
    r = child([*LOOPVIZ, "run", script], {**env, "BENCH_RECORDING": "1"})
    return size_note(r)


def steady(tmp: Path, env: dict[str, str], full: bool) -> Path:
    """The 1.1M-step run: by default compressed (200 tasks x sleep(0), ~3 s); ``full``: the
    60-second run of the issue (200 tasks x sleep(0.01) for 60 s, ~1.1M steps)."""
    script = str(PROGRAMS / "steady.py")
    trace = tmp / "steady.loopviz"
    env = {**env, "STEADY_SECONDS": "60"} if full else env
    what = "60 s steady run" if full else "compressed steady run (sleep(0))"
    plain = child([sys.executable, script], env)
    r = child([*LOOPVIZ, "run", "--trace", str(trace), script], {**env, "BENCH_RECORDING": "1"})
    steps = r.fields.get("steps", "?")
    print(f"3. {what}, 200 tasks, {steps} steps recorded: plain {plain.in_program:.2f} s "
          f"(peak {plain.peak_mb:.0f} MB, whole {plain.wall:.2f} s); loopviz run in-program "
          f"{r.in_program:.2f} s, after main {r.after_main:.2f} s ({verdict(r.after_main, 2.5)}; "
          f"CPU {r.after_cpu:.2f} s), peak {r.peak_mb:.0f} MB ({verdict(r.peak_mb, 300)}), "
          f"whole {r.wall:.2f} s "
          f"({r.wall / plain.wall:.2f}x plain)")
    print(f"   {size_note(r)}")
    return trace


def wide(tmp: Path, env: dict[str, str]) -> Path:
    """200,000 tasks x 5 sleep(0) (the churn, wider: ~1.2M steps, all tasks alive at once)."""
    trace = tmp / "wide.loopviz"
    wide = {**env, "CHURN_TASKS": env.get("WIDE_TASKS", "200000"), "CHURN_AWAITS": "5"}
    script = str(PROGRAMS / "churn.py")
    plain = child([sys.executable, script], wide)
    r = child([*LOOPVIZ, "run", "--trace", str(trace), script], wide)
    print(f"3. {wide['CHURN_TASKS']} tasks x 5 steps: plain {plain.in_program:.2f} s (peak "
          f"{plain.peak_mb:.0f} MB, whole {plain.wall:.2f} s); loopviz run in-program "
          f"{r.in_program:.2f} s, after main {r.after_main:.2f} s ({verdict(r.after_main, 2.5)}; "
          f"CPU {r.after_cpu:.2f} s), peak {r.peak_mb:.0f} MB ({verdict(r.peak_mb, 300)}; "
          f"{r.peak_mb - plain.peak_mb:.0f}"
          f" MB over plain), whole {r.wall:.2f} s ({r.wall / plain.wall:.2f}x plain)")
    print(f"   {recording(script, wide)}")
    return trace


def awaits(tmp: Path, sizes: tuple[int, ...], env: dict[str, str]) -> None:
    script = str(PROGRAMS / "awaits.py")
    rows = []
    for n in sizes:
        plain = child([sys.executable, script], {**env, "AWAITS": str(n)})
        r = child([*LOOPVIZ, "run", "--trace", str(tmp / f"awaits-{n}.loopviz"), script],
                  {**env, "AWAITS": str(n)})
        rows.append((n, plain, r))
    print("4. one task awaiting N futures:")
    for n, plain, r in rows:
        print(f"   {n:>7,d}: plain {plain.in_program:.3f} s (whole {plain.wall:.2f} s); loopviz "
              f"run in-program {r.in_program:.3f} s, after main {r.after_main:.2f} s, whole "
              f"{r.wall:.2f} s ({r.wall / plain.wall:.2f}x plain)")
    growth = rows[-1][2].after_main / rows[0][2].after_main
    whole = rows[-1][2].wall / rows[0][2].wall
    print(f"   {sizes[0]:,d} -> {sizes[-1]:,d}: after main grows {growth:.1f}x "
          f"({verdict(growth, 5)}), whole run {whole:.1f}x")


def export(traces: list[Path], tmp: Path) -> None:
    for trace in traces:
        if not trace.exists():
            continue
        out = tmp / "chrome.json"
        r = child([*LOOPVIZ, "export", str(trace), "--chrome-trace", str(out)])
        print(f"5. Chrome export of {trace.name}: {r.wall:.2f} s, "
              f"{out.stat().st_size / 1e6:.0f} MB file, peak {r.peak_mb:.0f} MB "
              f"({verdict(r.peak_mb, 300)})")
        out.unlink()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smaller runs (a smoke test)")
    ap.add_argument("--full", action="store_true",
                    help="the steady run as the 60-second run (sleep(0.01)), not compressed")
    ap.add_argument("--only", default="churn,load,steady,wide,awaits,export")
    args = ap.parse_args()
    only = set(args.only.split(","))
    env = {"QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    sizes = (25_000, 50_000, 100_000)
    if args.quick:
        env.update(CHURN_TASKS="2000", STEADY_STEPS="110000", WIDE_TASKS="20000")
        sizes = (2_500, 5_000, 10_000)
    from loopviz._native import IMPLEMENTATION

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, instrumentation in "
          f"{IMPLEMENTATION}")
    with tempfile.TemporaryDirectory(prefix="loopviz-scale-") as d:
        tmp = Path(d)
        traces = []
        if "churn" in only or "load" in only or "export" in only:
            traces.append(churn(args.repeat, tmp, env))
        if "steady" in only:
            traces.append(steady(tmp, env, args.full))
        if "wide" in only:
            traces.append(wide(tmp, env))
        if "load" in only:
            for trace in traces:
                load(trace, args.repeat)
        if "awaits" in only:
            awaits(tmp, sizes, env)
        if "export" in only:
            export(traces, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
