"""The optional C speedups and their pure-Python twins: the same records either way, the C path
in use wherever it could be built, and installing the instrumentation leaves the loop exactly as
it was."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import sysconfig
from array import array
from pathlib import Path

import pytest

from loopviz import _native
from loopviz.instrument.overrides import own_override, restore_overrides, save_overrides
from loopviz.trace.recorder import Recorder, _Column

ROOT = Path(__file__).resolve().parents[1]
needs_c = pytest.mark.skipif(_native.speedups is None, reason="C speedups not built here")


def test_speedups_are_built_wherever_a_compiler_is() -> None:
    if os.environ.get("LOOPVIZ_PURE_PYTHON"):
        pytest.skip("LOOPVIZ_PURE_PYTHON asks for the pure-Python path")
    if not shutil.which(sysconfig.get_config_var("CC").split()[0] or "cc"):
        pytest.skip("no C compiler here: the pure-Python path is the expected one")
    assert _native.IMPLEMENTATION == "C", "pip install -e . should have built loopviz._speedups"


@needs_c
def test_intlog_keeps_whole_records_and_hands_them_over_as_int64() -> None:
    log = _native.speedups.IntLog()
    log.extend((1, -2, 3 << 40, 4))
    log += (5, 6)
    assert len(log) == 6 and log.tolist() == [1, -2, 3 << 40, 4, 5, 6]
    assert array("q", log.peek(4)).tolist() == [1, -2, 3 << 40, 4]
    assert array("q", log.take(4)).tolist() == [1, -2, 3 << 40, 4]
    assert log.tolist() == [5, 6]
    with pytest.raises(TypeError):
        log.extend((7, "eight"))
    assert log.tolist() == [5, 6], "a failed extend stores nothing (no half records)"


@needs_c
def test_intlog_gives_back_the_room_of_a_burst_once_it_is_taken() -> None:
    """A burst of records (20,000 tasks created before any step) is compacted away; the log
    does not keep the burst's room for the rest of the run."""
    log = _native.speedups.IntLog()
    n = 1 << 17
    log.extend(range(n))
    burst = sys.getsizeof(log)
    assert array("q", log.take(n - 8)).tolist() == list(range(n - 8))
    assert log.tolist() == list(range(n - 8, n)), "what was not taken stays, in order"
    assert sys.getsizeof(log) < burst // 16
    log.extend(range(3))
    assert log.tolist() == [*range(n - 8, n), 0, 1, 2]


@pytest.mark.parametrize("c_buffer", [False, True])
def test_a_column_compacts_and_copies_only_whole_records(c_buffer: bool) -> None:
    if c_buffer and _native.speedups is None:
        pytest.skip("C speedups not built here")
    col = _Column(3)
    col.buf = _native.speedups.IntLog() if c_buffer else []
    col.buf.extend((1, 2, 3, 4, 5, 6, 7))  # two records and a stray int
    assert col.copy().tolist() == [1, 2, 3, 4, 5, 6]
    col.compact()
    assert col.past.tolist() == [1, 2, 3, 4, 5, 6] and len(col.buf) == 1
    col.buf.extend((8, 9))
    assert col.copy().tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9]


def test_the_recorder_uses_the_c_buffers_when_built() -> None:
    rec = Recorder()
    expected = list if _native.speedups is None else _native.speedups.IntLog
    assert type(rec.steps) is expected and type(rec.wakes) is expected


def test_instrumenting_restores_an_override_the_loop_already_had() -> None:
    loop = asyncio.new_event_loop()
    try:
        calls = []
        original = loop.call_soon

        def spy(callback, *args, context=None):
            calls.append(callback)
            return original(callback, *args, context=context)

        loop.call_soon = spy
        assert own_override(loop, "call_soon") is spy
        assert own_override(loop, "call_later") is None  # the class's own method
        saved = save_overrides(loop, ("call_soon", "call_later"))
        loop.call_later = print
        restore_overrides(loop, saved)
        assert loop.call_soon is spy
        assert own_override(loop, "call_later") is None
    finally:
        loop.close()


def test_a_recording_puts_every_loop_method_back() -> None:
    async def program() -> int:
        await asyncio.sleep(0)
        return 1

    loop = asyncio.new_event_loop()
    try:
        import loopviz

        names = ("call_soon", "call_later", "call_at", "run_in_executor",
                 "call_soon_threadsafe", "run_until_complete")
        rec = loopviz.record(loop, probes=False).start()
        assert own_override(loop, "call_soon") is not None
        loop.run_until_complete(program())
        rec.stop()
        assert [own_override(loop, n) for n in names] == [None] * len(names)
        assert loop.get_task_factory() is None
    finally:
        loop.close()


def test_a_task_factory_the_loop_already_had_still_makes_the_tasks() -> None:
    import loopviz

    made = []

    def factory(loop, coro, **kwargs):
        made.append(coro)
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def main() -> str:
        return await asyncio.create_task(asyncio.sleep(0, "done"))

    loop = asyncio.new_event_loop()
    try:
        loop.set_task_factory(factory)
        rec = loopviz.record(loop, probes=False).start()
        value = loop.run_until_complete(main())
        trace = rec.stop()
        assert loop.get_task_factory() is factory
    finally:
        loop.close()
    assert value == "done" and len(made) == 2
    assert len(trace.tasks) == 2, "tasks made through the loop's own factory are recorded"


@pytest.mark.skipif(os.environ.get("LOOPVIZ_PURE_PYTHON") is not None,
                    reason="already the pure-Python run")
def test_the_pure_python_twins_pass_the_engine_suite() -> None:
    """Every C fast path has a Python twin; the engine's behavioural suite must hold on both."""
    env = dict(os.environ, LOOPVIZ_PURE_PYTHON="1", QT_QPA_PLATFORM="offscreen")
    suites = ["tests/instrument/test_differential.py",
              "tests/instrument/test_generated_programs.py",
              "tests/instrument/test_instrumentation.py", "tests/test_speedups.py"]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *suites],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


@needs_c
def test_the_proxy_class_gets_the_cores_am_send_unless_it_overrides_send() -> None:
    # Python subclasses of a C type do not inherit am_send, and 3.12+ tasks step their
    # coroutine through it: without it every step would look ``send`` up and call it.
    from loopviz.instrument.proxy import CoroutineProxy

    assert _native.speedups.give_am_send(CoroutineProxy) is True

    class OwnSend(CoroutineProxy):
        def send(self, value):  # type: ignore[override]
            return super().send(value)

    assert _native.speedups.give_am_send(OwnSend) is False
    with pytest.raises(TypeError):
        _native.speedups.give_am_send(object)
