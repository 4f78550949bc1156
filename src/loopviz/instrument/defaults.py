"""The diagnostics every run gets, in one list: for ``loopviz.record()`` (in a user's own
program) and, through :func:`loopviz.session.plugins.default_plugins`, for ``run_headless``
and the GUI.

It lives here, below ``recording`` and ``session``, because both need it and ``recording``
must not import the session layer above it.

Order matters: the watchdog comes first (the others observe it) and, since instruments are
uninstalled in reverse order, stops last.
"""

from __future__ import annotations

from loopviz.instrument.deadlock import DeadlockDetector
from loopviz.instrument.lost_work import LostWork
from loopviz.instrument.plugin import Instrument
from loopviz.instrument.runaway import RunawayGuard
from loopviz.instrument.watchdog import Watchdog

DEFAULT_THRESHOLD_S = 0.05
DEFAULT_RUNAWAY_LIMIT_S = 10.0


def default_instruments(*, threshold_s: float = DEFAULT_THRESHOLD_S,
                        runaway_limit_s: float | None = None) -> list[Instrument]:
    """Watchdog, deadlock detector, lost work, and (with a limit) the runaway guard: each an
    :class:`~loopviz.instrument.plugin.Instrument`."""
    watchdog = Watchdog(threshold_s)
    out: list[Instrument] = [watchdog, DeadlockDetector(watchdog)]
    if runaway_limit_s is not None:
        out.append(RunawayGuard(watchdog, runaway_limit_s))
    out.append(LostWork())
    return out
