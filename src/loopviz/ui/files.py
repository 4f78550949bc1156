"""Files and dialogs: save/open traces, export Chrome traces and timeline images, report errors.

Every dialog the app shows goes through the three module-level helpers :func:`show_error`,
:func:`ask_open_path` and :func:`ask_save_path`; tests patch them (an error is recorded instead
of a modal box waiting for a click); in scripted runs :class:`ErrorsToStderr` sends them to stderr
instead. The actions return a one-line message for the status bar
or raise nothing: a bad file becomes an error dialog and the window keeps what it had.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from loopviz.trace import Trace

if TYPE_CHECKING:
    from loopviz.ui.settings import AppSettings

TRACE_FILTER = ("loopviz traces (*.loopviz *.loopviz.json *.loopviz.json.gz *.json *.json.gz);;"
                "All files (*)")
CHROME_FILTER = "Chrome / Perfetto trace (*.json);;All files (*)"
SCRIPT_FILTER = "Python scripts (*.py);;All files (*)"
PNG_FILTER = "PNG image (*.png)"
SVG_FILTER = "SVG image (*.svg)"


class ErrorsToStderr:
    """While active (scripted runs: ``--screenshot``, ``--record``, ``--quit-after-run``),
    :func:`show_error` prints ``loopviz: TITLE: MESSAGE`` to stderr instead of opening a
    dialog nobody is there to close; ``count`` says how many were reported."""

    active: ErrorsToStderr | None = None

    def __init__(self) -> None:
        self.count = 0

    def __enter__(self) -> ErrorsToStderr:
        ErrorsToStderr.active = self
        return self

    def __exit__(self, *exc: object) -> None:
        ErrorsToStderr.active = None

    def report(self, title: str, message: str) -> None:
        self.count += 1
        print(f"loopviz: {title}: {message}", file=sys.stderr, flush=True)


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """The one place errors become dialogs (patched in tests); on stderr in scripted runs."""
    if ErrorsToStderr.active is not None:
        ErrorsToStderr.active.report(title, message)
        return
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok,
                      parent)
    box.exec()


def ask_open_path(parent: QWidget | None, title: str, file_filter: str,
                  directory: str = "") -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, directory, file_filter)
    return path or None


def ask_save_path(parent: QWidget | None, title: str, file_filter: str,
                  suggested: str = "") -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
    return path or None


def save_window_png(window: QWidget, path: str) -> str:
    """The whole window as PNG, after pending repaints (OSError if it cannot be written)."""
    QApplication.processEvents()
    window.repaint()
    if not window.grab().save(path):
        raise OSError(f"could not write {path}")
    return path


def suggested_name(trace: Trace, suffix: str) -> str:
    """``<target>-<variant>`` made safe for a file name, plus ``suffix``."""
    target = os.path.basename(str(trace.meta.get("target") or "trace")).removesuffix(".py")
    variant = trace.meta.get("variant")
    stem = f"{target}-{variant}" if variant and variant != "default" else target
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in stem) + suffix


@dataclass
class FileActions:
    """The window's file commands; ``parent`` owns the dialogs, ``settings`` remembers folders."""

    parent: QWidget
    settings: AppSettings | None = None

    def _dir(self, purpose: str) -> str:
        return self.settings.last_dir(purpose) if self.settings is not None else ""

    def _remember(self, purpose: str, path: str) -> None:
        if self.settings is not None:
            self.settings.set_last_dir(purpose, str(Path(path).parent))

    def _suggest(self, purpose: str, name: str) -> str:
        folder = self._dir(purpose)
        return os.path.join(folder, name) if folder else name

    def save_trace(self, trace: Trace | None, path: str | None = None) -> str | None:
        from loopviz.export.native import save_trace

        return self._write_trace(trace, path, title="Save trace", purpose="trace",
                                 file_filter=TRACE_FILTER, suffix=".loopviz",
                                 writer=save_trace, done="Saved trace to {}")

    def open_trace(self, path: str | None = None) -> tuple[Trace, str] | None:
        """Load a saved trace; None (after an error dialog) if it cannot be read."""
        path = path or ask_open_path(self.parent, "Open trace", TRACE_FILTER, self._dir("trace"))
        if not path:
            return None
        from loopviz.export.native import TraceFileError, load_trace

        try:
            trace = load_trace(path)
        except TraceFileError as exc:
            show_error(self.parent, "Open trace", str(exc))
            return None
        except OSError as exc:
            show_error(self.parent, "Open trace", f"Cannot read {path}: {exc.strerror or exc}")
            return None
        except Exception as exc:  # a loader bug must not take the window down
            show_error(self.parent, "Open trace",
                       f"{path}: not a loopviz trace ({type(exc).__name__}: {exc})")
            return None
        self._remember("trace", path)
        return trace, path

    def export_chrome(self, trace: Trace | None, path: str | None = None) -> str | None:
        from loopviz.export.chrome import save_chrome_trace

        return self._write_trace(trace, path, title="Export Chrome trace", purpose="export",
                                 file_filter=CHROME_FILTER, suffix=".chrome.json",
                                 writer=save_chrome_trace,
                                 done="Exported Chrome trace to {} (open it in ui.perfetto.dev)")

    def _write_trace(self, trace: Trace | None, path: str | None, *, title: str, purpose: str,
                     file_filter: str, suffix: str, writer: Any, done: str) -> str | None:
        """Ask where (unless ``path``), write ``trace`` with ``writer``, remember the folder;
        a status message, or None after an error dialog or a cancelled file dialog."""
        if trace is None:
            show_error(self.parent, title, "There is no trace yet: run a demo first.")
            return None
        path = path or ask_save_path(self.parent, title, file_filter,
                                     self._suggest(purpose, suggested_name(trace, suffix)))
        if not path:
            return None
        try:
            saved = writer(trace, path)
        except OSError as exc:
            show_error(self.parent, title, f"Could not write {path}: {exc.strerror or exc}")
            return None
        self._remember(purpose, str(saved))
        return done.format(saved)

    def export_image(self, timeline: Any, kind: str, trace: Trace | None,
                     path: str | None = None) -> str | None:
        """PNG or SVG of the timeline (``kind`` is ``png`` or ``svg``)."""
        name = suggested_name(trace, f".{kind}") if trace is not None else f"timeline.{kind}"
        path = path or ask_save_path(self.parent, f"Export timeline as {kind.upper()}",
                                     PNG_FILTER if kind == "png" else SVG_FILTER,
                                     self._suggest("export", name))
        if not path:
            return None
        exporter = getattr(timeline, f"export_{kind}", None)
        if exporter is None:
            show_error(self.parent, "Export", f"The timeline cannot export {kind.upper()} yet.")
            return None
        try:
            exporter(path)
        except Exception as exc:
            show_error(self.parent, "Export", f"Could not export {path}: {exc}")
            return None
        self._remember("export", path)
        return f"Exported timeline to {path}"

    def screenshot(self, window: QWidget, path: str | None = None) -> str | None:
        path = path or ask_save_path(self.parent, "Save window as PNG", PNG_FILTER,
                                     self._suggest("export", "loopviz.png"))
        if not path:
            return None
        try:
            save_window_png(window, path)
        except OSError as exc:
            show_error(self.parent, "Screenshot", str(exc))
            return None
        self._remember("export", path)
        return f"Saved the window to {path}"
