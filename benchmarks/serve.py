"""What serving costs the program watched from outside (issue #16), measured side by side.

1. overhead: benchmarks/programs/served.py's churn (20,000 tasks x 10 ``sleep(0)``) run plain,
   recording (``loopviz.record(keep_last=60)``), served with ``loopviz.serve()``'s defaults
   and no viewer, and served with viewers streaming the whole run (``loopviz attach``, the
   headless viewer, in processes of their own), interleaved, best of N each. In-program wall
   time and the program process's CPU time (its serving thread included). Targets: served
   costs no more than recording, with or without viewers (<= 1.05x recording: the noise).
   1b: the same four with a server's steady load (below) for 10 s: the program's CPU.
   Beside both, the serving thread's own CPU (its clock, read in the program): the least
   noisy figure of what serving costs (it leaves out the program's thread waiting for the
   GIL, which the process's CPU ratios include).
2. memory: a server's steady load (~2,000 short requests a second and a few long-lived
   workers) served for ``--minutes`` (default 10) with the default 60 s ring buffer, while
   viewers come and go (one follows for a minute from 1:30, one takes a 2 s look every two
   minutes); its RSS sampled every 5 s. Target: flat once the ring is full (the growth from
   minute 2 to the end <= 5 % of the RSS at minute 2).

Run: python benchmarks/serve.py [--repeat N] [--viewers N] [--minutes M] [--skip-memory]
     [--skip-overhead] [--unwatched]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from loopviz._native import IMPLEMENTATION

PROGRAM = Path(__file__).parent / "programs" / "served.py"
SERVING = re.compile(r"serving .* at (\S+:\d+) ")
BENCH = re.compile(r"BENCH in_program=([\d.]+) cpu=([\d.]+)(?: serving=([\d.]+))?")
LOOPVIZ = [sys.executable, "-m", "loopviz"]
TARGET_VS_RECORD = 1.05
TARGET_GROWTH = 0.05


class Child:
    """The program in a subprocess; ``address`` once it serves (stderr read on a thread)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, str(PROGRAM)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, **env})
        self.lines: list[str] = []
        self.address: str | None = None
        self.serving = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            found = SERVING.search(line)
            if found and self.address is None:
                self.address = found.group(1)
                self.serving.set()

    def finish(self, timeout: float) -> str:
        self.proc.wait(timeout)
        self._reader.join(5)
        if self.proc.returncode != 0:
            raise SystemExit(f"the program failed: {''.join(self.lines)[-2000:]}")
        return "".join(self.lines)

    def wait_serving(self) -> str:
        if not self.serving.wait(30) or self.address is None:
            self.proc.kill()
            raise SystemExit(f"the program never served: {''.join(self.lines)}")
        return self.address


def viewer(address: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*LOOPVIZ, "attach", address, *extra], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


OWN_CPU: dict[str, list[float]] = {}  # the serving thread's own CPU, by variant and work


def run_once(mode: str, viewers: int, work: str = "churn",
             seconds: float = 0.0) -> tuple[float, float]:
    env = {"SERVED_MODE": mode, "SERVED_WORK": work, "SERVED_VIEWERS": str(viewers),
           "SERVED_SECONDS": str(seconds)}
    child = Child(env)
    watchers = []
    if viewers:
        address = child.wait_serving()
        watchers = [viewer(address) for _ in range(viewers)]  # until the program ends
    err = child.finish(120)
    for w in watchers:
        _, werr = w.communicate(timeout=60)
        if w.returncode != 0:
            raise SystemExit(f"a viewer failed: {werr}")
    found = BENCH.search(err)
    assert found, err
    if found.group(3) is not None:
        OWN_CPU.setdefault(f"{work} {viewers}", []).append(float(found.group(3)))
    return float(found.group(1)), float(found.group(2))


def serving_line(work: str, viewers: int, recording_cpu: float) -> str:
    """The serving thread's own CPU (no GIL waits of the program's thread in it): the least
    noisy figure of what serving costs, beside the recording's whole CPU."""
    own = OWN_CPU.get(f"{work} {viewers}", [])
    if not own:
        return ""
    return (f"   serving thread's own cpu with {viewers} viewer(s): {min(own):.3f}s "
            f"(median {statistics.median(own):.3f}s) = {100 * min(own) / recording_cpu:.1f} % "
            f"of recording's cpu")


def overhead(repeat: int, viewers: int) -> dict[str, tuple[float, float]]:
    variants = [("plain asyncio", "plain", 0), ("record(keep_last=60)", "record", 0),
                ("serve(), no viewer", "serve", 0),
                (f"serve(), {viewers} viewer{'s' * (viewers > 1)} (loopviz attach)", "serve",
                 viewers)]
    for _, mode, n in variants:  # warm: bytecode, page cache
        run_once(mode, n)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in variants}
    for _ in range(repeat):
        for name, mode, n in variants:
            runs[name].append(run_once(mode, n))
    best = {name: (min(w for w, _ in r), min(c for _, c in r)) for name, r in runs.items()}
    plain_w, plain_c = best["plain asyncio"]
    rec_w, rec_c = best["record(keep_last=60)"]
    print(f"1. overhead: churn, 20000 tasks x 10 sleep(0), asyncio.run; best of {repeat} "
          f"interleaved runs each (cpu: the whole program process, its serving thread too)")
    print(f"   {'':44}{'in-program':>11}{'x plain':>9}{'x record':>9}{'cpu':>8}"
          f"{'x plain':>9}{'x record':>9}")
    for name, (w, c) in best.items():
        verdict = ""
        if name.startswith("serve"):
            worst = max(w / rec_w, c / rec_c)
            verdict = (f"  target <= {TARGET_VS_RECORD:g}x record: "
                       f"{'met' if worst <= TARGET_VS_RECORD else 'MISSED'}")
        print(f"   {name:44}{w:10.3f}s{w / plain_w:8.2f}x{w / rec_w:8.2f}x{c:7.3f}s"
              f"{c / plain_c:8.2f}x{c / rec_c:8.2f}x{verdict}")
    spread = max(max(x for x, _ in r) / min(x for x, _ in r) for r in runs.values())
    print(f"   noise: slowest / fastest in-program run of a variant up to {spread:.2f}x")
    for n in (0, viewers):
        print(serving_line("churn", n, rec_c))
    return best


def steady_cpu(repeat: int, viewers: int, seconds: float) -> None:
    """The server-like load for ``seconds``: the program's CPU share (its own time is fixed)."""
    variants = [("plain asyncio", "plain", 0), ("record(keep_last=60)", "record", 0),
                ("serve(), no viewer", "serve", 0),
                (f"serve(), {viewers} viewer{'s' * (viewers > 1)} (loopviz attach)", "serve",
                 viewers)]
    cpu: dict[str, list[float]] = {name: [] for name, _, _ in variants}
    for _ in range(repeat):
        for name, mode, n in variants:
            cpu[name].append(run_once(mode, n, "load", seconds)[1])
    best = {name: min(c) for name, c in cpu.items()}
    print(f"1b. a server's steady load (~2,000 short requests a second, 4 workers) for "
          f"{seconds:g} s; the program process's CPU, best of {repeat}")
    plain, rec = best["plain asyncio"], best["record(keep_last=60)"]
    for name, c in best.items():
        verdict = ""
        if name.startswith("serve"):
            verdict = (f"  target <= {TARGET_VS_RECORD:g}x record: "
                       f"{'met' if c / rec <= TARGET_VS_RECORD else 'MISSED'}")
        print(f"   {name:44}{c:7.3f}s cpu ({100 * c / seconds:4.1f} % of a core)"
              f"{c / plain:7.2f}x plain{c / rec:7.2f}x record{verdict}")
    for n in (0, viewers):
        print(serving_line("load", n, rec))


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def memory(minutes: float, every: float = 5.0, *, watched: bool = True) -> None:
    seconds = minutes * 60
    child = Child({"SERVED_MODE": "serve", "SERVED_WORK": "load",
                   "SERVED_SECONDS": str(seconds)})
    address = child.wait_serving()
    started = time.monotonic()
    samples: list[tuple[float, float]] = []
    watchers: list[tuple[str, subprocess.Popen[str]]] = []
    follower_at: float | None = 90.0 if watched else None
    next_look = 120.0 if watched else float("inf")
    while child.proc.poll() is None:
        t = time.monotonic() - started
        rss = rss_mib(child.proc.pid)
        if rss is not None:
            samples.append((t, rss))
        if follower_at is not None and t >= follower_at:
            watchers.append(("follower", viewer(address, "--duration", "60")))
            follower_at = None
        if t >= next_look and t < seconds - 10:
            watchers.append(("look", viewer(address, "--duration", "2")))
            next_look += 120
        time.sleep(every - (time.monotonic() - started - t))
    err = child.finish(60)
    failed = 0
    for _, w in watchers:
        w.communicate(timeout=60)
        failed += w.returncode != 0
    created = int(re.search(r"created (\d+)", err).group(1))  # type: ignore[union-attr]
    print(f"2. memory: a server's steady load served for {minutes:g} min, ring buffer 60 s "
          f"(the default); {created} requests ({created / seconds:.0f}/s); "
          f"{len(watchers)} viewers came and went ({failed} failed); RSS every {every:g} s")

    def around(t0: float) -> float:
        near = [m for t, m in samples if abs(t - t0) <= every * 1.5]
        return statistics.median(near) if near else float("nan")

    marks = [30.0] + [60.0 * k for k in range(1, int(minutes) + 1)]
    marks[-1] = min(marks[-1], samples[-1][0] - every)
    print("   " + "  ".join(f"{t / 60:4.1f} min {around(t):6.1f}" for t in marks) + "  (MiB)")
    at2 = around(120.0)
    end = around(marks[-1])
    late = [(t, m) for t, m in samples if t >= 120.0]
    slope = _slope(late) * 60
    growth = (end - at2) / at2
    print(f"   from minute 2 to the end: {at2:.1f} -> {end:.1f} MiB ({100 * growth:+.1f} %; "
          f"fit {slope:+.2f} MiB/min); peak {max(m for _, m in samples):.1f} MiB  "
          f"target growth <= {100 * TARGET_GROWTH:g} %: "
          f"{'met' if growth <= TARGET_GROWTH else 'MISSED'}")


def _slope(points: list[tuple[float, float]]) -> float:
    n = len(points)
    if n < 2:
        return 0.0
    mt = sum(t for t, _ in points) / n
    mm = sum(m for _, m in points) / n
    den = sum((t - mt) ** 2 for t, _ in points)
    return sum((t - mt) * (m - mm) for t, m in points) / den if den else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--viewers", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--steady-seconds", type=float, default=10.0)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--unwatched", action="store_true",
                        help="the memory run without viewers (beside the default, with them)")
    parser.add_argument("--skip-overhead", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, instrumentation in "
          f"{IMPLEMENTATION}")
    if not args.skip_overhead:
        overhead(args.repeat, args.viewers)
        steady_cpu(max(2, args.repeat // 2), args.viewers, args.steady_seconds)
    if not args.skip_memory:
        memory(args.minutes, watched=not args.unwatched)


if __name__ == "__main__":
    main()
