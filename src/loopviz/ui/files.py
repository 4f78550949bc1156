"""Files and dialogs: save/open traces, export Chrome traces and timeline images, report errors.

Every dialog the app shows goes through the three module-level helpers :func:`show_error`,
:func:`ask_open_path` and :func:`ask_save_path`; tests patch them (an error is recorded instead
of a modal box waiting for a click). The actions return a one-line message for the status bar
or raise nothing: a bad file becomes an error dialog and the window keeps what it had.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from loopviz.trace import Trace

if TYPE_CHECKING:
    from loopviz.ui.settings import AppSettings

TRACE_FILTER = "loopviz traces (*.loopviz.json *.loopviz.json.gz *.json *.json.gz);;All files (*)"
CHROME_FILTER = "Chrome / Perfetto trace (*.json);;All files (*)"
SCRIPT_FILTER = "Python scripts (*.py);;All files (*)"
PNG_FILTER = "PNG image (*.png)"
SVG_FILTER = "SVG image (*.svg)"


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """The one place errors become dialogs (patched in tests)."""
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
        if trace is None:
            show_error(self.parent, "Save trace", "There is no trace yet: run a demo first.")
            return None
        path = path or ask_save_path(self.parent, "Save trace", TRACE_FILTER,
                                     self._suggest("trace", suggested_name(trace, ".loopviz.json")))
        if not path:
            return None
        from loopviz.export.native import save_trace

        try:
            saved = save_trace(trace, path)
        except OSError as exc:
            show_error(self.parent, "Save trace", f"Could not save {path}: {exc.strerror or exc}")
            return None
        self._remember("trace", str(saved))
        return f"Saved trace to {saved}"

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
        if trace is None:
            show_error(self.parent, "Export", "There is no trace yet: run a demo first.")
            return None
        path = path or ask_save_path(self.parent, "Export Chrome trace", CHROME_FILTER,
                                     self._suggest("export", suggested_name(trace, ".chrome.json")))
        if not path:
            return None
        from loopviz.export.chrome import save_chrome_trace

        try:
            saved = save_chrome_trace(trace, path)
        except OSError as exc:
            show_error(self.parent, "Export", f"Could not write {path}: {exc.strerror or exc}")
            return None
        self._remember("export", str(saved))
        return f"Exported Chrome trace to {saved} (open it in ui.perfetto.dev)"

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
