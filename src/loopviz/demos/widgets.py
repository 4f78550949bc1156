"""Small real widgets for the demos about the UI thread.

Contract: :func:`status_label` makes a small top-level QLabel (offscreen in headless runs; a
QApplication must exist, which ``run_headless`` and the app provide for ``needs_widgets``
demos); :func:`set_status` changes its text *from whatever thread calls it*, exactly as plain
Qt code would, but first reports a ``wrong-thread-ui`` diagnostic naming the thread and the
demo's line when that is not the UI thread (Qt itself says nothing: the update usually
"works", which is what makes the bug dangerous); :func:`close_widget` closes and deletes.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from loopviz import _cpython
from loopviz.instrument import report

if TYPE_CHECKING:  # PySide6 is imported when a widget is made, so `loopviz list` stays fast
    from PySide6.QtWidgets import QLabel, QWidget


def status_label(text: str = "", title: str = "loopviz demo") -> QLabel:
    from PySide6.QtWidgets import QLabel

    label = QLabel(text)
    label.setWindowTitle(title)
    label.setMinimumWidth(320)
    label.setMargin(12)
    label.show()
    return label


def on_ui_thread() -> bool:
    uis: set[int | None] = {a.ui_ident for a in report.active()} or {threading.main_thread().ident}
    return threading.get_ident() in uis


def set_status(label: QLabel, text: str) -> None:
    """``label.setText(text)``, reporting it first when called off the UI thread."""
    if not on_ui_thread():
        caller = _cpython.getframe(1)  # the demo line that asked for the update
        report.report_wrong_thread("QLabel.setText called", caller.f_code.co_filename,
                                   caller.f_lineno, what="QLabel.setText")
    label.setText(text)


def close_widget(widget: QWidget) -> None:
    widget.close()
    widget.deleteLater()
