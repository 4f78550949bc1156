"""Test configuration: Qt runs offscreen so a bare ``pytest`` works on any machine, and the run
leaves nothing behind in the temp folder.

Every temporary file of the run (the tests', loopviz's, Qt's, and those of the processes the
tests start, which inherit ``TMPDIR``) goes into one folder of this run's own, removed when the
run ends. Anything found there at the end besides pytest's own ``tmp_path`` folders is
something a test or loopviz forgot to remove: the run fails and names it.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_RUN_TMP = tempfile.mkdtemp(prefix="loopviz-tests-")
os.environ["TMPDIR"] = tempfile.tempdir = _RUN_TMP

import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _one_qapplication(qapp):
    """Qt allows one application object per process: make it a QApplication (pytest-qt's)
    before any test creates a bare QCoreApplication, so widget tests and headless runs share it."""
    return qapp


@pytest.fixture(autouse=True)
def _garbage_collected_on_the_main_thread():
    """Qt objects must die on their own thread (see ``loopviz.loop.plumbing.delete_qt_objects``
    for the crash otherwise). Loops delete theirs when they close; what tests leave in
    reference cycles besides (a closed window's pyqtgraph menus, qasync's own executor threads
    in its contract tests) is collected here, on the main thread, after each test, rather than
    by whichever later test's thread allocates first. The app itself has one window for its
    lifetime, so only the tests make such garbage."""
    yield
    gc.collect()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    left = sorted(name for name in os.listdir(_RUN_TMP) if not name.startswith("pytest-of-"))
    shutil.rmtree(_RUN_TMP, ignore_errors=True)
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "tests left these behind in the temp folder: " + ", ".join(left)
        if reporter is not None:
            reporter.write("\n")
            reporter.write_line(message, red=True, bold=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
