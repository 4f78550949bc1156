"""Teach › Export replay (and ``gui --record``): render a replay's frames and encode them as
the file name asks, an MP4 video for ``.mp4``, else an animated GIF.

The frame pipeline (``replay_frames``) is shared by both encoders (``record_gif``,
``record_video``); only this module knows both, so none of them imports another.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from loopviz.trace import Trace
from loopviz.ui.teaching.record_gif import save_gif
from loopviz.ui.teaching.record_video import save_mp4
from loopviz.ui.teaching.replay_frames import FINAL_HOLD_MS, ReplayFile, render_frames


def record_replay(trace: Trace, widget: QWidget, show: Callable[[Trace, int], str], path: str,
                  *, fps: float = 10.0, speed: float = 1.0, max_width: int = 1100,
                  caption_points: float = 18.0) -> ReplayFile:
    """Render the replay of ``trace`` into ``path``: an MP4 video when the name ends in
    ``.mp4`` (needs the ``video`` extra), an animated GIF otherwise."""
    frames = render_frames(trace, widget, show, fps=fps, speed=speed, max_width=max_width,
                           caption_points=caption_points)
    if path.lower().endswith(".mp4"):
        return save_mp4(frames, path, fps, hold_ms=FINAL_HOLD_MS)
    return save_gif(frames, path, fps)
