"""The desktop app's bootstrap: one QApplication, loopviz's Qt event loop on it, the window.

The asyncio loop (``loopviz.loop``'s qasync-based ``QtEventLoop``) runs inside the
application's ``exec()``: it *is* the UI thread, so a demo's coroutines share the thread with
the window that draws them, exactly as in a Qt app written with async code.

Contract (``loopviz`` and ``loopviz gui`` call :func:`run_gui`; see DESIGN.md "Command line"):
exit code 0 when the app ran (and the run finished, whatever the target did), 2 for bad input
(unknown demo, unreadable script or trace), 1 if loopviz itself failed. ``--screenshot`` saves
the whole window after the run's final repaint; with ``--quit-after-run`` the app then exits.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication

from loopviz.ui.display import release_probe
from loopviz.ui.settings import APPLICATION, ORGANIZATION, AppSettings

if TYPE_CHECKING:
    from loopviz.session import Target

SETTLE_MS = 400  # after the run: let the final trace reach every view and repaint
START_DELAY_MS = 600  # before --run: the window's first layout and paint are not the demo's
SCREENSHOT_SIZE = (1600, 1000)


def ensure_app() -> QApplication:
    """The process's QApplication (widgets need one, not a bare QGuiApplication)."""
    app = QCoreApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1] or ["loopviz"])
    release_probe()  # Qt is connected now: the display cannot reset under it
    if not isinstance(app, QApplication):
        raise RuntimeError("loopviz's window needs a QApplication; another kind already exists")
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("loopviz")
    return app


def attach_loop(app: QApplication) -> asyncio.AbstractEventLoop:
    """loopviz's Qt loop on ``app``, running from now on inside whoever runs ``exec()``."""
    from loopviz.loop import ensure_qt_app
    from loopviz.loop.qt_loop import QtEventLoop

    assert ensure_qt_app(gui=True) is app
    loop = QtEventLoop(app, already_running=True)
    asyncio.set_event_loop(loop)
    return loop


def close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Stop and close a loop made by :func:`attach_loop` (leftover tasks are cancelled)."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    from loopviz.loop.qt_loop import QtEventLoop

    if isinstance(loop, QtEventLoop):
        loop.end_running()  # already_running: no exec() left to end it
    asyncio.set_event_loop(None)
    loop.close()


def make_window(loop: asyncio.AbstractEventLoop, settings: AppSettings | None = None) -> Any:
    """The main window with the app's theme applied and followed."""
    from loopviz.ui.main_window import MainWindow
    from loopviz.ui.theme import ThemeWatcher

    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise RuntimeError("the window needs a QApplication (loopviz.loop.ensure_qt_app)")
    watcher = getattr(app, "loopviz_theme", None)
    if not isinstance(watcher, ThemeWatcher):
        watcher = ThemeWatcher(app)
        app.loopviz_theme = watcher  # type: ignore[attr-defined]
    window = MainWindow(loop, settings)
    window.set_theme(watcher.theme)
    watcher.changed.connect(window.set_theme)
    return window


def _throwaway_settings(folder: str) -> AppSettings:
    """Settings in ``folder`` (removed when the run ends): the user's stay untouched."""
    from PySide6.QtCore import QSettings

    path = os.path.join(folder, "settings.ini")
    return AppSettings(QSettings(path, QSettings.Format.IniFormat))


def _fail(message: str, code: int = 2) -> int:
    print(f"loopviz: {message}", file=sys.stderr)
    return code


def run_gui(target: str | Target | None = None, *, variant: str | None = None,
            run: bool = False,
            presentation: bool = False, open_trace: str | None = None,
            screenshot: str | None = None, quit_after_run: bool = False,
            record: str | None = None, trace_out: str | None = None,
            size: tuple[int, int] | None = None, attach: str | None = None,
            token: str | None = None, duration: float | None = None) -> int:
    """Open the desktop app; the exit code follows DESIGN.md's command-line contract.
    ``record``: after the run (or once the opened trace shows), export its replay as an
    animated GIF (or an MP4 video for a ``.mp4`` name) there and quit
    (``loopviz gui TARGET --run --record replay.gif``). ``trace_out``: save the run's trace
    there when it ends (``--run --trace OUT``). ``size``: the window's (width, height), e.g.
    a projector's 1280x720 for a screenshot in presentation mode. ``attach``: watch the
    program serving at that HOST:PORT (``token`` if it asks for one), for ``duration`` seconds
    or until its stream ends (then ``screenshot``/``quit_after_run`` apply, as after a run).

    Scripted runs (``screenshot``, ``record`` or ``quit_after_run``) never open a dialog:
    errors go to stderr and make the exit code non-zero."""
    from loopviz.export.native import TraceFileError, load_trace
    from loopviz.session import TargetError, resolve
    from loopviz.ui import files
    from loopviz.ui.display import display_problem

    if trace_out is not None and not (run and target is not None):
        return _fail("--trace saves a run's trace: give a TARGET and --run")
    if QCoreApplication.instance() is None:
        problem = display_problem()
        if problem is not None:
            return _fail(problem)
    if isinstance(target, str):
        try:
            target = resolve(target, variant)  # bad input is reported before any window
        except TargetError as exc:
            return _fail(str(exc))
    if open_trace is not None:
        try:
            load_trace(open_trace)
        except (TraceFileError, OSError) as exc:
            return _fail(str(exc))
    if run and target is None and open_trace is None:
        run = False  # nothing chosen: run the remembered demo only when asked by name
    attachment = None
    if duration is not None and (attach is None or not duration > 0):
        return _fail("--duration goes with --attach: a positive number of seconds")
    if attach is not None:
        from loopviz.ui.attaching import connect_now

        if run or open_trace is not None or record:
            return _fail("--attach watches a program already running: no --run, --open or "
                         "--record with it")
        attachment = connect_now(attach, token)  # nothing there: one line, before any window
        if isinstance(attachment, str):
            return _fail(attachment)

    app = ensure_app()
    loop = attach_loop(app)
    exit_code = [0]
    scripted = bool(screenshot or record)
    reported = files.ErrorsToStderr() if (scripted or quit_after_run) else None
    if reported is not None:
        reported.__enter__()
    # A scripted screenshot or recording shows the default layout on every machine and leaves
    # the user's remembered layout alone: its settings live in a folder removed at the end.
    scratch = (tempfile.TemporaryDirectory(prefix="loopviz-settings-",
                                           ignore_cleanup_errors=True)
               if scripted else None)
    settings = _throwaway_settings(scratch.name) if scratch is not None else None
    try:
        window = make_window(loop, settings)
        if target is not None:
            window.select_target(target, variant)
        if open_trace is not None:
            window.open_trace(open_trace)
        window.set_presentation(presentation or False)
        if screenshot:
            window.resize(*SCREENSHOT_SIZE)  # screenshots look the same on every machine
        if record:
            from loopviz.ui.teaching.replay_frames import RECORD_SIZE

            window.resize(*RECORD_SIZE)  # GIF frames stay readable once scaled for the web
        if size is not None:
            window.resize(*size)
        window.show()
        if screenshot or record or window.settings.window_state() is None:
            QTimer.singleShot(0, lambda: window.presentation_mode.set_on(window.presentation))

        def finish(_result: object = None) -> None:
            if _result is None and run:
                exit_code[0] = 1  # loopviz failed during the run
            if trace_out and _result is not None:
                from loopviz.export.native import save_trace

                try:
                    save_trace(_result.trace, trace_out)  # type: ignore[attr-defined]
                except OSError as exc:
                    print(f"loopviz: cannot write {trace_out}: {exc.strerror or exc}",
                          file=sys.stderr)
                    exit_code[0] = 2
            if screenshot:
                try:
                    window.save_screenshot(screenshot)
                except OSError as exc:
                    print(f"loopviz: {exc}", file=sys.stderr)
                    exit_code[0] = 1
            if record:
                try:
                    info = window.teaching.export_replay(record)
                    print(f"loopviz: recorded {info.path} ({info.frames} frames)")
                except (OSError, ValueError) as exc:
                    print(f"loopviz: {exc}", file=sys.stderr)
                    exit_code[0] = 1
            if quit_after_run or record:
                window.close()
                app.quit()

        def after_run(result: object) -> None:
            QTimer.singleShot(SETTLE_MS, lambda: finish(result))

        if attachment is not None:
            window.attacher.finished.connect(lambda _: after_run(True))
            window.attacher.follow(attachment, duration)
        elif run and target is not None:
            window.runFinished.connect(after_run)
            def start() -> None:
                if not window.run():  # nothing started (bad input, said already)
                    after_run(None)

            QTimer.singleShot(START_DELAY_MS, start)
        elif screenshot or quit_after_run or record:
            QTimer.singleShot(SETTLE_MS, finish)
        app.exec()
    except Exception as exc:  # loopviz itself broke: say so in one line, exit 1
        return _fail(f"{type(exc).__name__}: {exc}", 1)
    finally:
        if reported is not None:
            reported.__exit__()
        close_loop(loop)
        if scratch is not None and settings is not None:
            settings.q.sync()  # written now: a later sync must not recreate the folder
            scratch.cleanup()
    if reported is not None and reported.count and not exit_code[0]:
        return 1
    return exit_code[0]


def main() -> int:  # pragma: no cover - a convenience for `python -m loopviz.ui.app`
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")
    return run_gui(sys.argv[1] if len(sys.argv) > 1 else None, run=len(sys.argv) > 1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
