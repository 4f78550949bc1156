"""Fixtures for the demo tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def widgets_app(qapp: Any) -> Any:
    """Demos with real widgets need a QApplication (not just a QGuiApplication)."""
    return qapp
