"""The loop's Qt objects die on the loop's thread, whichever thread collects the garbage.

Python's cyclic collector runs on whatever thread allocates; a Qt timer destroyed there stays
registered with its own thread's dispatcher, which later crashes delivering to it (CI died this
way, exit 139, in whichever test came next)."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import shiboken6
from PySide6 import QtCore

from loopviz.loop import QtEventLoop

SRC = Path(__file__).resolve().parents[2] / "src"


def live_qt_objects_in_garbage() -> list[str]:
    """Names of Qt objects, still alive, that only the cyclic collector would free."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        return [type(o).__qualname__ for o in gc.garbage
                if isinstance(o, QtCore.QObject) and shiboken6.isValid(o)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_a_closed_loop_leaves_no_qt_object_to_the_garbage_collector(qapp) -> None:
    gc.collect()
    gc.disable()
    try:
        loop = QtEventLoop(qapp)

        async def work() -> int:
            running = asyncio.get_running_loop()
            await asyncio.sleep(0.001)
            running.call_later(30, int)  # arms the precise timer; close() disarms it
            threading.Thread(target=running.call_soon_threadsafe, args=(int,)).start()
            return await running.run_in_executor(None, sum, [20, 22])

        assert loop.run_until_complete(work()) == 42
        loop.close()
        del loop
        assert live_qt_objects_in_garbage() == []
    finally:
        gc.enable()


def test_closed_loops_collected_on_another_thread_crash_nothing() -> None:
    """Loops closed right after executor jobs (their last wake-ups just queued), collected by a
    thread while the next loop runs: before the fix, such a run died (exit 139), 3 times of 3."""
    code = textwrap.dedent("""
        import asyncio, gc, threading, time
        from PySide6 import QtCore
        from loopviz.loop import QtEventLoop
        app = QtCore.QCoreApplication([])
        gc.disable()
        stop = threading.Event()
        def collect_until_stopped():
            while not stop.is_set():
                gc.collect()
                time.sleep(0.0005)
        collector = threading.Thread(target=collect_until_stopped)
        collector.start()
        for _ in range(400):
            loop = QtEventLoop(app)
            async def work():
                await asyncio.sleep(0.001)
                jobs = (loop.run_in_executor(None, time.sleep, 0.0005) for _ in range(4))
                await asyncio.gather(*jobs)
            loop.run_until_complete(work())
            loop.close()
            del loop
        stop.set()
        collector.join()
        print("ok")
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["ok"]
    assert "another thread" not in done.stderr, done.stderr[-2000:]
