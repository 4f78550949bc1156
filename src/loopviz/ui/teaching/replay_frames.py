"""The frame pipeline of replay export, shared by both encoders (``record_gif``,
``record_video``): fixed frame rate, captions burned in, unattended.

Frames are rendered offline, not filmed in real time: for each frame time the views are shown
``timeslice(trace, t)`` (the very path the interactive replay takes), the widget is grabbed,
and a caption band (the caption and the clock) is painted under it. So the GIF has exactly
:func:`frame_times` frames whatever the machine's speed, and a slow-motion GIF of a 5 ms event
costs no 50 s of waiting. ``record.record_replay`` runs the pipeline and picks the encoder.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QApplication, QWidget

from loopviz.trace import Trace
from loopviz.trace.timeslice import timeslice

if TYPE_CHECKING:  # Pillow is imported when a replay is exported, not with the app
    from PIL import Image

FINAL_HOLD_MS = 2000  # the last frame stays this long (before a GIF loops)
RECORD_SIZE = (1280, 800)  # the window while recording unattended (``--record``)


@dataclass(frozen=True, slots=True)
class ReplayFile:
    """What an encoder wrote: where, how many frames, their size, and the file's size."""

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


def to_pil(image: QImage) -> Image.Image:
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
                  caption_points: float = 18.0) -> list[Image.Image]:
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
