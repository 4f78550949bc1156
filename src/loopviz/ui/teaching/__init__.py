"""Teaching and screencast tools: time cursor and event stepping, replay and slow motion,
captions, the async stack at t, the loop's own queues, side by side, predict-then-run, GIF.

``install(window)`` (in :mod:`.panel`) wires them all into the main window. The pure parts
live in ``loopviz.trace`` (``timeslice``, ``queues``, ``captions``) and are tested without Qt.
"""

from loopviz.ui.teaching.panel import Teaching, install

__all__ = ["Teaching", "install"]
