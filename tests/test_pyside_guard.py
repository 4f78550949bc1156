"""Guard against the PySide6 6.12.0 / CPython 3.11 ``none_dealloc`` crash.

That release drops a reference to ``None`` on every call of a Qt method returning nothing;
the interpreter dies after a few thousand calls. pyproject pins around it; this test proves
the installed pair survives far more calls than the crash needed.
"""

from __future__ import annotations

import subprocess
import sys

import PySide6


def test_fifty_thousand_void_qt_calls_survive():
    # In a child process: if the refcount bug is present, the crash must not take pytest down.
    code = (
        "from PySide6.QtCore import QObject\n"
        "o = QObject()\n"
        "for i in range(50_000):\n"
        "    o.setObjectName('x')\n"
        "    QObject().setObjectName('y')\n"
        "print('survived')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"PySide6 {PySide6.__version__}: {proc.stderr[-400:]}"
    assert "survived" in proc.stdout


def test_installed_pyside_is_not_the_broken_pair():
    major, minor, *_ = (int(p) for p in PySide6.__version__.split(".")[:3])
    if sys.version_info < (3, 12):
        assert (major, minor) < (6, 12), "PySide6 >= 6.12 crashes on CPython 3.11 (none_dealloc)"
