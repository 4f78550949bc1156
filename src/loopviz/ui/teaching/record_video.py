"""MP4 export of a replay (the ``video`` extra: ``pip install -e ".[video]"``).

imageio-ffmpeg ships an ffmpeg binary inside its wheel, so nothing is downloaded at run time
and no system ffmpeg is needed; frames go to it as raw RGB over a pipe, encoded as H.264
(yuv420p, which every player and browser plays).
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

from loopviz.ui.teaching.replay_frames import ReplayFile

if TYPE_CHECKING:
    from PIL import Image


def save_mp4(frames: list[Image.Image], path: str, fps: float, *, hold_ms: int = 0) -> ReplayFile:
    """Encode Pillow RGB ``frames`` at ``fps``; the last frame is held ``hold_ms`` longer.
    Raises RuntimeError with the install hint when the ``video`` extra is missing."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise RuntimeError("MP4 export needs the video extra: pip install 'loopviz[video]' "
                           "(or save as .gif)") from None
    # H.264 in yuv420p wants even sizes: crop a stray last column/row.
    width, height = frames[0].width // 2 * 2, frames[0].height // 2 * 2
    hold = math.ceil(hold_ms * fps / 1000)
    writer = imageio_ffmpeg.write_frames(path, (width, height), fps=fps, codec="libx264",
                                         pix_fmt_out="yuv420p", macro_block_size=1,
                                         output_params=["-movflags", "+faststart"])
    writer.send(None)  # start the encoder
    try:
        for frame in [*frames, *[frames[-1]] * hold]:
            writer.send(frame.crop((0, 0, width, height)).tobytes())
    finally:
        writer.close()
    return ReplayFile(path, len(frames) + hold, (width, height), os.path.getsize(path))
