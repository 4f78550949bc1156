"""File › Attach: the window watches a program that serves its trace, as a run it started:
the recent past first, then live; Esc detaches (the program goes on); its end ends it."""

from __future__ import annotations

import time

from loopviz.ui import attaching
from tests.remote.conftest import _earlier_garbage_collected_on_the_main_thread  # noqa: F401
from tests.remote.served import Program, loopviz


def attach_and_wait(window, qtbot, address: str) -> None:
    assert window.attacher.attach(address)
    qtbot.waitUntil(lambda: window.attacher.active, timeout=10_000)
    qtbot.waitUntil(lambda: window.trace is not None and any(
        t.name.startswith("request-") for t in window.trace.tasks), timeout=10_000)


def test_attaching_shows_the_recent_past_then_live_and_detaching_keeps_it(window, qtbot,
                                                                          tmp_path):
    program = Program(tmp_path, rounds=3000)  # ~30 s: it runs on after we detach
    time.sleep(1.0)
    attach_and_wait(window, qtbot, program.address)
    joined = window.attacher.attachment.welcome.now_ns
    requests = window.trace.tasks_named("request-")
    assert any(t.created_ns < joined - 0.5e9 for t in requests), "the past, before attaching"
    assert not window.commands.run.isEnabled() and window.commands.cancel.isEnabled()
    assert "watched from outside" in window.explanation.toPlainText()
    assert "async def worker" in window.code.toPlainText(), "the program's own source"
    assert "(attached at 127.0.0.1:" in window.windowTitle()
    steps = len(window.trace.steps)
    qtbot.waitUntil(lambda: len(window.trace.steps) > steps + 50, timeout=10_000)  # live
    model = window.timeline.model
    assert all(model.row_of("task", t.id) >= 0 for t in window.trace.tasks_named("worker-"))
    assert window.chart.isVisible() and len(window.trace.loop_lag) > 10
    with qtbot.waitSignal(window.attacher.finished, timeout=10_000):
        window.commands.cancel.trigger()
    assert window.statusBar().currentMessage().startswith("Detached")
    final = window.trace
    assert len(final.tasks_named("request-")) > len(requests)
    assert not any(c.label.startswith("loopviz:") for c in final.callbacks), \
        "this window's repaints are not the program's work"
    assert window.commands.run.isEnabled() and window.commands.attach.isEnabled()
    assert window.settings.last_attach() == program.address
    time.sleep(0.3)
    assert program.proc.poll() is None, "the program goes on"
    program.kill()


def test_the_programs_end_ends_the_attachment_and_the_window_says_so(window, qtbot, tmp_path):
    program = Program(tmp_path, rounds=150)
    attach_and_wait(window, qtbot, program.address)
    with qtbot.waitSignal(window.attacher.finished, timeout=20_000):
        pass
    assert "The program ended its stream (the program stopped serving)" in \
        window.statusBar().currentMessage()
    assert any(t.name == "request-149" for t in window.trace.tasks)
    assert program.finish()[0] == 0


def test_attaching_to_nothing_is_one_error_and_the_window_stays_as_it_was(window, qtbot, errors):
    import socket

    probe = socket.create_server(("127.0.0.1", 0))
    address = f"127.0.0.1:{probe.getsockname()[1]}"
    probe.close()
    assert window.attacher.attach(address)
    qtbot.waitUntil(lambda: bool(errors), timeout=10_000)
    [(title, message)] = errors
    assert title == "Attach" and "nothing is serving at" in message and "\n" not in message
    assert not window.attacher.active and window.commands.run.isEnabled()
    assert window.commands.attach.isEnabled()


def test_a_program_that_wants_a_token_is_asked_for_it(window, qtbot, tmp_path, monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(attaching, "ask_token",
                        lambda _parent, reason: asked.append(reason) or "sesame-street")
    program = Program(tmp_path, rounds=300, env={"LOOPVIZ_TOKEN": "sesame-street"})
    monkeypatch.delenv("LOOPVIZ_TOKEN", raising=False)
    attach_and_wait(window, qtbot, program.address)
    assert asked and "token" in asked[0]
    window.attacher.detach()
    program.kill()


def test_gui_attach_to_nothing_exits_2_with_one_line_before_any_window():
    proc = loopviz("gui", "--attach", "127.0.0.1:1")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "nothing is serving at 127.0.0.1:1" in proc.stderr


def test_gui_attach_for_a_while_then_quits(tmp_path):
    program = Program(tmp_path, rounds=600)
    shot = tmp_path / "attached.png"
    proc = loopviz("gui", "--attach", program.address, "--duration", "1", "--screenshot",
                   str(shot), "--quit-after-run")
    assert proc.returncode == 0, proc.stderr
    assert shot.stat().st_size > 10_000
    program.kill()
