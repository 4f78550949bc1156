"""GIF export of a replay: Pillow encodes (a well-kept GIF encoder; it stores only the changed
rectangle of each frame, which keeps timeline replays small). Frames come from
:mod:`loopviz.ui.teaching.replay_frames`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from loopviz.ui.teaching.replay_frames import FINAL_HOLD_MS, ReplayFile

if TYPE_CHECKING:
    from PIL import Image


def save_gif(frames: list[Image.Image], path: str, fps: float) -> ReplayFile:
    """Encode ``frames`` as a looping GIF; the last frame holds ``FINAL_HOLD_MS``."""
    from PIL import Image

    frame_ms = round(1000 / fps)
    durations = [frame_ms] * (len(frames) - 1) + [FINAL_HOLD_MS]
    # One palette for every frame (from the first and the last, most complete one) and no
    # dithering: an unchanged pixel keeps its index, so each frame stores only what changed.
    # Octree keeps small areas of distinct colour (thin segments) their own entry.
    both = Image.new("RGB", (frames[0].width, frames[0].height * 2))
    both.paste(frames[0], (0, 0))
    both.paste(frames[-1], (0, frames[0].height))
    palette = both.quantize(colors=255, method=Image.Quantize.FASTOCTREE)
    indexed = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    indexed[0].save(path, save_all=True, append_images=indexed[1:], duration=durations,
                    loop=0, optimize=True)  # optimize: unchanged pixels become transparent
    return ReplayFile(path, len(frames), frames[0].size, os.path.getsize(path))
