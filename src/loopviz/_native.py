"""The optional C speedups (``loopviz/_speedups.c``), or None.

Every type in that module has a pure-Python twin with the same behaviour, so loopviz works
without it (a machine with no C compiler at install time, or ``LOOPVIZ_PURE_PYTHON=1`` to
compare the two); it only makes each recorded step cheaper. No Qt here: the trace and
instrument layers import this.
"""

from __future__ import annotations

import os
from types import ModuleType


def _load() -> ModuleType | None:
    if os.environ.get("LOOPVIZ_PURE_PYTHON"):
        return None
    try:
        import loopviz._speedups as _speedups
    except ImportError:
        return None
    return _speedups


speedups = _load()
IMPLEMENTATION = "C" if speedups is not None else "pure Python"
