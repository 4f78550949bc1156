"""Files and bad input: save and reopen traces, corrupt files, broken scripts, settings."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from loopviz.ui.main_window import MainWindow
from loopviz.ui.settings import AppSettings
from tests.ui.test_window_runs import choose, task_rows


def test_a_saved_trace_opens_read_only_with_the_same_lanes(window, run_to_end,
                                                           tmp_path) -> None:
    choose(window, "sequential-vs-gather", "fixed", fetches=2, delay=0.2)
    run_to_end(window)
    live_rows = task_rows(window)
    path = tmp_path / "run.loopviz.json"
    message = window.file_actions.save_trace(window.trace, str(path))
    assert message and path.exists()
    window.timeline.set_trace(None)
    assert window.open_trace(str(path))
    assert window.read_only_path == str(path)
    assert task_rows(window) == live_rows
    assert "read-only" in window.windowTitle()
    assert any("gather" in e.text for e in window.findings_panel.entries())


@pytest.mark.parametrize("content", [b"{not json", b'{"format": "something-else"}',
                                     gzip.compress(b"[1, 2, 3]"), b""])
def test_a_corrupt_trace_file_gives_an_error_and_the_window_stays_usable(
        window, run_to_end, errors, tmp_path, content) -> None:
    bad = tmp_path / "bad.loopviz.json"
    bad.write_bytes(content)
    assert not window.open_trace(str(bad))
    assert len(errors) == 1 and errors[0][0] == "Open trace"
    assert "\n" not in errors[0][1] and errors[0][1]
    assert window.read_only_path is None
    choose(window, "interleaving", rounds=1, pause=0.05)
    assert run_to_end(window).status == "finished"


def test_a_script_with_a_syntax_error_is_refused_with_one_line(window, errors,
                                                               tmp_path) -> None:
    path = tmp_path / "syntax.py"
    path.write_text("async def main(:\n    pass\n")
    spec_before = window.spec
    assert not window.open_script(str(path))
    assert len(errors) == 1 and "syntax error" in errors[0][1] and "\n" not in errors[0][1]
    assert window.spec == spec_before


SCRIPTS = {
    "no_main": ("x = 1\nprint('module code ran')\n", "no main"),
    "sync_main": ("def main():\n    return 1\n", "not async"),
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_a_script_that_starts_no_loop_is_refused_with_one_line_when_run(
        window, run_to_end, errors, tmp_path, capfd, name) -> None:
    source, words = SCRIPTS[name]
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    assert window.open_script(str(path))  # opening runs nothing of it
    assert capfd.readouterr().out == ""
    result = run_to_end(window)
    assert result.status == "bad-input"
    assert len(errors) == 1 and words in errors[0][1] and "\n" not in errors[0][1]
    assert window.commands.run.isEnabled()
    choose(window, "interleaving", rounds=1, pause=0.05)
    assert run_to_end(window).status == "finished"


@pytest.mark.parametrize(("body", "status"), [
    ("    raise ValueError('boom')\n", "raised"),
    ("    import sys\n    sys.exit(3)\n", "exited"),
])
def test_a_script_whose_main_fails_is_a_result_not_a_crash(window, run_to_end, errors,
                                                          tmp_path, body, status) -> None:
    path = tmp_path / "fails.py"
    path.write_text("import asyncio\n\nasync def main():\n    await asyncio.sleep(0.01)\n"
                    + body)
    assert window.open_script(str(path))
    assert "fails.py" in window.explanation.toPlainText()
    result = run_to_end(window)
    assert result.status == status and not errors
    assert window.trace is not None and window.trace.tasks_named("main")
    assert window.commands.run.isEnabled()


def test_the_window_remembers_the_last_demo_and_its_splitters(qtbot, qt_loop, tmp_path,
                                                              errors) -> None:
    from loopviz.ui.app import make_window

    def settings() -> AppSettings:
        return AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))

    first: MainWindow = make_window(qt_loop, settings())
    qtbot.addWidget(first)
    first.show()
    first.browser.select("timeout")
    first.splitters["main"].setSizes([300, 800, 400])
    sizes = first.splitters["main"].sizes()
    first.close()
    second: MainWindow = make_window(qt_loop, settings())
    qtbot.addWidget(second)
    second.show()
    assert second.browser.current() == "timeout" and second.spec == "timeout"
    assert settings().splitter_sizes("main") == sizes
    # The offscreen screen is small, so the window shrinks; the outer panes keep their size.
    assert abs(second.splitters["main"].sizes()[0] - sizes[0]) <= 10


def test_presentation_mode_scales_fonts_and_can_be_toggled_back(window, qapp) -> None:
    base = qapp.font().pointSizeF()
    code = window.code.font().pointSizeF()
    window.commands.presentation.trigger()
    assert window.presentation and qapp.font().pointSizeF() > base * 1.4
    assert window.code.font().pointSizeF() > code * 1.4
    window.commands.presentation.trigger()
    assert not window.presentation and qapp.font().pointSizeF() == pytest.approx(base)


def test_search_filters_the_browser(window) -> None:
    window.browser.search.setText("deadlock")
    assert window.browser.visible_specs() == ["deadlock"]
    window.browser.search.clear()
    assert len(window.browser.visible_specs()) > 5


@pytest.mark.slow
def test_run_gui_with_screenshot_writes_a_png_and_exits(tmp_path) -> None:
    out = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path)}
    code = ("import sys\nfrom loopviz.ui.app import run_gui\n"
            f"sys.exit(run_gui('interleaving', run=True, screenshot={str(out)!r}, "
            "quit_after_run=True))\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert image.width() >= 1000 and image.height() >= 700


def test_run_gui_refuses_an_unknown_demo_with_exit_code_2(capsys) -> None:
    from loopviz.ui.app import run_gui

    assert run_gui("no-such-demo") == 2
    assert "unknown demo" in capsys.readouterr().err


def test_run_gui_refuses_a_corrupt_trace_with_exit_code_2(tmp_path: Path, capsys) -> None:
    from loopviz.ui.app import run_gui

    bad = tmp_path / "bad.json"
    bad.write_text("nope")
    assert run_gui(open_trace=str(bad)) == 2
    assert capsys.readouterr().err.startswith("loopviz: ")
