"""Test configuration: Qt runs offscreen so a bare ``pytest`` works on any machine."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_qapplication(qapp):
    """Qt allows one application object per process: make it a QApplication (pytest-qt's)
    before any test creates a bare QCoreApplication, so widget tests and headless runs share it."""
    return qapp
