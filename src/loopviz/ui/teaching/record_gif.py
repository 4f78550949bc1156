"""Export a replay as an animated GIF (or an MP4 video): fixed frame rate, captions burned
in, unattended.

Frames are rendered offline, not filmed in real time: for each frame time the views are shown
``timeslice(trace, t)`` (the very path the interactive replay takes), the widget is grabbed,
and a caption band (the caption and the clock) is painted under it. So the GIF has exactly
:func:`frame_times` frames whatever the machine's speed, and a slow-motion GIF of a 5 ms event
costs no 50 s of waiting. Pillow encodes (a well-kept GIF encoder; it stores only the changed
rectangle of each frame, which keeps timeline replays small).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QApplication, QWidget

from loopviz.trace import Trace
from loopviz.trace.timeslice import timeslice

FINAL_HOLD_MS = 2000  # the last frame stays this long before the GIF loops
RECORD_SIZE = (1280, 800)  # the window while recording unattended (``--record``)


@dataclass(frozen=True, slots=True)
class GifInfo:
    path: str
    frames: int
    size: tuple[int, int]
    bytes: int


def frame_times(duration_ns: int, fps: float, speed: float) -> list[int]:
    """The trace instants of the frames: every ``speed / fps`` seconds of trace time from 0,
    and the trace's end as the last frame."""
    if fps <= 0 or speed <= 0:
        raise ValueError("fps and speed must be positive")
    step = speed * 1e9 / fps
    count = max(1, math.ceil(duration_ns / step))
    return [min(duration_ns, round(i * step)) for i in range(count)] + [duration_ns]


def to_pil(image: QImage) -> object:
    """A QImage as a Pillow RGB image (copied)."""
    from PIL import Image

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    data = bytes(rgb.constBits())
    return Image.frombuffer("RGB", (rgb.width(), rgb.height()), data, "raw", "RGB",
                            rgb.bytesPerLine(), 1).copy()


def burn_caption(image: QImage, caption: str, clock: str, *, points: float = 18.0,
                 dark: bool = False) -> QImage:
    """``image`` with a band under it holding ``caption`` (left) and ``clock`` (right)."""
    font = QFont()
    font.setPointSizeF(points)
    font.setBold(True)
    p = QPainter()
    band = int(points * 2.4)
    out = QImage(image.width(), image.height() + band, QImage.Format.Format_RGB32)
    out.fill(QColor("#1e1f22" if dark else "#ffffff"))
    p.begin(out)
    p.drawImage(0, 0, image)
    p.fillRect(0, image.height(), image.width(), band, QColor("#111111"))
    p.setFont(font)
    p.setPen(QColor("#ffffff"))
    rect = QRectF(12, image.height(), image.width() - 24, band)
    clock_w = p.fontMetrics().horizontalAdvance(clock) + 24
    p.setPen(QColor("#f0e442"))
    p.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, clock)
    p.setPen(QColor("#ffffff"))
    text = p.fontMetrics().elidedText(caption, Qt.TextElideMode.ElideRight,
                                          int(rect.width() - clock_w))
    p.drawText(rect.adjusted(0, 0, -clock_w, 0),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
    p.end()
    return out


def render_frames(trace: Trace, widget: QWidget, show: Callable[[Trace, int], str], *,
                  fps: float = 10.0, speed: float = 1.0, max_width: int = 1100,
                  caption_points: float = 18.0) -> list:
    """The replay of ``trace`` as Pillow RGB frames, one per :func:`frame_times` instant.

    ``show(trace_at_t, t_ns)`` makes the views show instant ``t_ns`` and returns the caption to
    burn in; ``widget`` is what each frame grabs (the window, or one panel).
    """
    from PIL import Image

    frames: list[Image.Image] = []
    for t in frame_times(trace.duration_ns, fps, speed):
        caption = show(timeslice(trace, t), t)
        QApplication.processEvents()
        grabbed = widget.grab().toImage()
        image = burn_caption(grabbed, caption, f"{t / 1e9:6.3f} s  {speed:g}×",
                             points=caption_points)
        pil = to_pil(image)
        if pil.width > max_width:
            pil = pil.resize((max_width, round(pil.height * max_width / pil.width)),
                             Image.Resampling.LANCZOS)
        frames.append(pil)
    return frames


def save_gif(frames: list, path: str, fps: float) -> GifInfo:
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
    return GifInfo(path, len(frames), frames[0].size, os.path.getsize(path))


def record_replay(trace: Trace, widget: QWidget, show: Callable[[Trace, int], str], path: str,
                  *, fps: float = 10.0, speed: float = 1.0, max_width: int = 1100,
                  caption_points: float = 18.0) -> GifInfo:
    """Render the replay of ``trace`` into ``path``: an MP4 video when the name ends in
    ``.mp4`` (needs the ``video`` extra), an animated GIF otherwise."""
    frames = render_frames(trace, widget, show, fps=fps, speed=speed, max_width=max_width,
                           caption_points=caption_points)
    if path.lower().endswith(".mp4"):
        from loopviz.ui.teaching.record_video import save_mp4

        return save_mp4(frames, path, fps, hold_ms=FINAL_HOLD_MS)
    return save_gif(frames, path, fps)
