"""Test configuration: Qt runs offscreen so a bare ``pytest`` works on any machine."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
