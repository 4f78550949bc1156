"""A program that serves its trace, watched from outside: viewers attach late, come and go,
get killed; the program runs on as if nobody watched, and its end ends the stream cleanly."""

from __future__ import annotations

import json
import signal
import time

from loopviz.export import load_trace
from loopviz.remote.attach import receive
from loopviz.remote.client import Attachment
from tests.remote.served import Program, loopviz, start_loopviz


def test_a_viewer_attaching_after_a_second_sees_the_tasks_of_the_seconds_before(tmp_path):
    program = Program(tmp_path, rounds=300)  # ~3 s
    time.sleep(1.0)
    out = tmp_path / "late.loopviz"
    proc = loopviz("attach", program.address, "--duration", "1", "--trace", str(out),
                   "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    trace = load_trace(out)
    attached = summary["attached"]
    joined = trace.meta["served"]["attached_ns"]
    assert attached["state"] == "detached" and attached["past_ns"] > 0.7e9
    before = [t for t in trace.tasks if t.name.startswith("request-") and t.created_ns < joined]
    assert len(before) > 50, "the requests of the second before attaching"
    assert {t.name for t in trace.tasks} >= {"worker-0", "worker-1", "worker-2"}
    steps = trace.steps.start_ns
    assert (steps < joined - 0.5e9).any() and (steps > joined + 0.5e9).any()
    code, stdout, _ = program.finish()
    assert code == 0 and "requests" in stdout


def test_the_programs_output_and_timing_are_the_same_with_and_without_viewers(tmp_path):
    plain = Program(tmp_path, serve=None)
    base_code, base_out, _ = plain.finish()
    alone = Program(tmp_path)
    alone_code, alone_out, _ = alone.finish()
    watched = Program(tmp_path, env={"LOOPVIZ_TEST_ROUNDS": "100"})
    viewer = Attachment(watched.address).connect().start()
    watched_code, watched_out, _ = watched.finish()
    viewer.wait(10)
    assert base_code == alone_code == watched_code == 0
    assert base_out == alone_out == watched_out and "workers [" in base_out
    assert viewer.state == "ended" and len(viewer.trace().tasks) > 100
    # ~1 s of sleeps each: watching adds no waiting (generous for a shared, noisy machine;
    # benchmarks/serve.py measures it precisely)
    assert alone.elapsed() < plain.elapsed() + 0.4
    assert watched.elapsed() < plain.elapsed() + 0.4


def test_killing_a_viewer_mid_stream_leaves_the_program_running(tmp_path):
    program = Program(tmp_path, rounds=250)
    doomed = start_loopviz("attach", program.address)
    time.sleep(0.8)
    doomed.send_signal(signal.SIGKILL)
    doomed.communicate(timeout=10)
    survivor = receive(program.address, duration=0.5)  # the program still serves
    assert survivor.state == "detached" and len(survivor.trace.steps) > 0
    code, out, err = program.finish()
    assert code == 0 and "requests" in out, err


def test_the_program_ending_ends_the_stream_and_the_viewer_keeps_what_it_received(tmp_path):
    program = Program(tmp_path, rounds=120)
    out = tmp_path / "until-the-end.loopviz"
    proc = loopviz("attach", program.address, "--trace", str(out))  # no --duration
    assert proc.returncode == 0, proc.stderr
    assert "the program stopped serving" in proc.stdout
    trace = load_trace(out)
    assert any(t.name == "request-119" for t in trace.tasks), "to the program's last task"
    assert program.finish()[0] == 0


def test_a_killed_program_ends_the_stream_and_the_viewer_says_so(tmp_path):
    program = Program(tmp_path, rounds=1000)
    viewer = Attachment(program.address).connect().start()
    time.sleep(0.5)
    program.kill()
    assert viewer.wait(10)
    assert viewer.state == "lost" and "without an end" in (viewer.ending or "")
    assert len(viewer.trace().steps) > 0


def test_a_program_that_never_calls_stop_still_says_goodbye_as_it_exits(tmp_path):
    program = Program(tmp_path, rounds=60, env={"LOOPVIZ_TEST_NO_STOP": "1"})
    viewer = Attachment(program.address).connect().start()
    assert viewer.wait(20)
    assert viewer.state == "ended" and viewer.ending == "the program exited"
    assert program.finish()[0] == 0


def test_several_viewers_at_once_each_get_the_whole_stream(tmp_path):
    program = Program(tmp_path, rounds=150)
    viewers = [Attachment(program.address).connect().start() for _ in range(3)]
    time.sleep(0.3)
    viewers.append(Attachment(program.address).connect().start())  # a late one
    assert program.finish()[0] == 0
    for viewer in viewers:
        assert viewer.wait(10) and viewer.state == "ended"
    names = [{t.name for t in v.trace().tasks} for v in viewers]
    assert all("request-149" in n for n in names)
    assert names[0] == names[1] == names[2] == names[3]


def test_loopviz_run_serve_serves_a_program_loopviz_starts(tmp_path):
    program = Program(tmp_path, serve=None, rounds=150)  # a plain run, for its output
    _, plain_out, _ = program.finish()
    script = str(program.script)
    served = Program(tmp_path, serve="run", rounds=150, argv=[
        *_loopviz_argv(), "run", "--serve", "127.0.0.1:0", "--loop", "asyncio", script])
    received = receive(served.address, duration=0.5)
    code, out, err = served.finish()
    assert code == 0, err
    assert out == plain_out, "the program's own output, untouched"
    assert received.trace.meta["served"]["keep_last_s"] == 60
    assert any(t.name.startswith("request-") for t in received.trace.tasks)


def _loopviz_argv() -> list[str]:
    import sys

    return [sys.executable, "-m", "loopviz"]
