"""The first minutes: no display or a missing X library is one line and exit 2, never Qt's
abort; scripted runs report errors on stderr and never wait on a dialog; ``--trace`` saves."""

from __future__ import annotations

import os
import subprocess
import sys
from unittest import mock

import pytest

from loopviz.export.native import load_trace
from loopviz.ui import display, files


def loopviz(*args: str, env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "loopviz", *args], env=env, text=True,
                          capture_output=True, timeout=timeout)


def bare_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return {**env, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path), **extra}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb check is Linux's")
def test_without_a_display_loopviz_says_so_in_one_line_and_exits_2(tmp_path) -> None:
    done = loopviz(env=bare_env(tmp_path))
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("loopviz: no display") and "xvfb-run -a loopviz" in line


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb check is Linux's")
def test_an_unreachable_display_is_one_line_and_exit_2(tmp_path) -> None:
    done = loopviz("gui", "blocking-sleep", env=bare_env(tmp_path, DISPLAY=":97"))
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "cannot connect to the X display ':97'" in line


def test_a_missing_xcb_library_names_the_package_to_install() -> None:
    error = OSError("libxcb-cursor.so.0: cannot open shared object file: No such file or "
                    "directory")
    with mock.patch.object(display.ctypes, "CDLL", side_effect=error), \
            mock.patch.object(display.sys, "platform", "linux"):
        problem = display.display_problem({"DISPLAY": ":0"})
    assert problem is not None and "\n" not in problem
    assert "libxcb-cursor.so.0 (package libxcb-cursor0)" in problem
    assert "sudo apt-get update && sudo apt-get install -y libxcb-cursor0" in problem


class FakeXcb:
    """libxcb as the display probe calls it: connections that work, and who disconnected."""

    def __init__(self) -> None:
        self.open: set[int] = set()
        self.xcb_connect = mock.Mock(side_effect=self._connect)
        self.xcb_connection_has_error = mock.Mock(return_value=0)
        self.xcb_disconnect = mock.Mock(side_effect=self.open.discard)

    def _connect(self, display: bytes, screen: object) -> int:
        self.open.add(len(self.open) + 1)
        return len(self.open)


def test_the_display_probe_stays_connected_until_qt_is(monkeypatch) -> None:
    # An X server resets when its last client leaves (Xvfb does by default): a probe that
    # disconnected before Qt connected made Qt's own connection fail (abort, exit 134).
    xcb = FakeXcb()
    monkeypatch.setattr(display.ctypes.util, "find_library", lambda name: "libxcb.so.1")
    monkeypatch.setattr(display.ctypes, "CDLL", lambda name: xcb)
    assert display._x_display_reachable(":5") and len(xcb.open) == 1
    display.release_probe()
    assert xcb.open == set()
    display.release_probe()  # nothing held: nothing to do
    assert xcb.xcb_disconnect.call_count == 1


def test_other_platforms_are_left_to_qt() -> None:
    assert display.display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert display.display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None


def test_in_a_scripted_run_an_error_goes_to_stderr_not_to_a_dialog(capsys) -> None:
    with mock.patch.object(files, "QMessageBox") as box, files.ErrorsToStderr() as reported:
        files.show_error(None, "Run", "the script vanished")
    assert box.call_count == 0 and reported.count == 1
    assert capsys.readouterr().err == "loopviz: Run: the script vanished\n"
    assert files.ErrorsToStderr.active is None


@pytest.mark.slow
def test_gui_run_with_trace_saves_the_runs_trace_and_quits(tmp_path) -> None:
    out = tmp_path / "run.loopviz.json.gz"
    script = tmp_path / "short.py"
    script.write_text("import asyncio\n\nasync def main():\n    await asyncio.sleep(0.02)\n")
    done = loopviz("gui", str(script), "--run", "--trace", str(out), "--quit-after-run",
                   env=bare_env(tmp_path, QT_QPA_PLATFORM="offscreen"))
    assert done.returncode == 0, done.stderr
    trace = load_trace(out)
    assert trace.meta["target"] == str(script) and trace.tasks_named("main")
    assert trace.duration_ns >= 20_000_000


def test_gui_trace_without_a_run_is_bad_usage(capsys) -> None:
    from loopviz.ui.app import run_gui

    assert run_gui("interleaving", trace_out="x.json") == 2
    assert "--trace saves a run's trace" in capsys.readouterr().err
