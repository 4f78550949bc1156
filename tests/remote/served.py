"""A real served program in a subprocess (loopback, an ephemeral port, bounded time), and the
viewer commands run against it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

# A small server-like program: long-lived workers and a stream of short "requests", a fixed
# amount of work (so its output is the same whatever watches it), its own timing on stderr.
# LOOPVIZ_TEST_SERVE: the address to serve at (unset: a plain run); LOOPVIZ_TEST_KEEP: the
# ring buffer; LOOPVIZ_TEST_ROUNDS: how long it runs (each round ~10 ms).
PROGRAM = textwrap.dedent("""
    import asyncio, os, sys, time

    ROUNDS = int(os.environ.get("LOOPVIZ_TEST_ROUNDS", "100"))

    async def worker(n):
        total = 0
        for i in range(ROUNDS):
            await asyncio.sleep(0.01)
            total += i * n
        return total

    async def request(k):
        for _ in range(3):
            await asyncio.sleep(0.001)
        return k * k

    async def requests():
        tasks = []
        for k in range(ROUNDS):
            tasks.append(asyncio.create_task(request(k), name=f"request-{k}"))
            await asyncio.sleep(0.01)
        return sum(await asyncio.gather(*tasks))

    async def workload():
        workers = [asyncio.create_task(worker(n), name=f"worker-{n}") for n in range(3)]
        served = await requests()
        totals = await asyncio.gather(*workers)
        print(f"workers {totals}", flush=True)
        print(f"requests {served}", flush=True)

    async def main():
        where = os.environ.get("LOOPVIZ_TEST_SERVE")
        if where:
            import loopviz
            keep = float(os.environ.get("LOOPVIZ_TEST_KEEP", "60"))
            serving = loopviz.serve(where, keep_last=keep)
            serving.start()
        start = time.perf_counter()  # the workload's own time, not loopviz's import
        await workload()
        print(f"elapsed {time.perf_counter() - start:.3f}", file=sys.stderr, flush=True)
        if where and not os.environ.get("LOOPVIZ_TEST_NO_STOP"):
            serving.stop()

    if __name__ == "__main__":
        asyncio.run(main())
""")

SERVING = re.compile(r"serving .* at (\S+:\d+) ")


class Program:
    """The program in a subprocess; ``address`` once it serves. Always killed at the end."""

    def __init__(self, tmp_path: Path, *, serve: str | None = "127.0.0.1:0", rounds: int = 100,
                 keep: float = 60.0, env: dict[str, str] | None = None,
                 argv: list[str] | None = None, source: str = PROGRAM) -> None:
        script = tmp_path / "served_app.py"
        script.write_text(source)
        self.script = script
        full_env = {**os.environ, "LOOPVIZ_TEST_ROUNDS": str(rounds),
                    "LOOPVIZ_TEST_KEEP": str(keep), **(env or {})}
        full_env.pop("LOOPVIZ_TEST_SERVE", None)
        if serve is not None and argv is None:
            full_env["LOOPVIZ_TEST_SERVE"] = serve
        self.proc = subprocess.Popen(
            argv or [sys.executable, str(script)], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=full_env, cwd=tmp_path)
        self.err: list[str] = []
        self.out: list[str] = []
        self._served = threading.Event()
        self.address: str | None = None
        self._readers = [threading.Thread(target=self._read_stderr, daemon=True),
                         threading.Thread(target=self._read_stdout, daemon=True)]
        for reader in self._readers:
            reader.start()
        if serve is not None and not self._served.wait(30):
            self.kill()
            raise AssertionError(f"the program never said where it serves: {self.err}")

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line)
            found = SERVING.search(line)
            if found and self.address is None:
                self.address = found.group(1)
                self._served.set()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        self.out.extend(self.proc.stdout)

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        """(exit code, stdout, stderr) once it ends."""
        try:
            self.proc.wait(timeout)
        finally:
            self.kill()
        return self.proc.returncode, "".join(self.out), "".join(self.err)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        for reader in self._readers:
            reader.join(5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()

    def __del__(self) -> None:  # a failed test still leaves no process or pipe behind
        proc = getattr(self, "proc", None)
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()

    def elapsed(self) -> float:
        return float(next(line.split()[1] for line in self.err if line.startswith("elapsed")))


def loopviz(*args: str, timeout: float = 60, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "loopviz", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


def start_loopviz(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "loopviz", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def timed(fn, *args, **kw):
    start = time.monotonic()
    result = fn(*args, **kw)
    return result, time.monotonic() - start
