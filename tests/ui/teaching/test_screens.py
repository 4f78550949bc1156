"""The README's teaching pictures are remade by ``python tools/screens.py DIR`` from real
runs: the tour must keep working as the views change (it once called an export method that
had been renamed, and the README's GIF went stale)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image


@pytest.mark.slow
def test_the_screens_tour_writes_every_teaching_picture_and_the_gif(tmp_path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path)}
    tool = Path(__file__).resolve().parents[3] / "tools" / "screens.py"
    done = subprocess.run([sys.executable, str(tool), str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("teaching-scrub.png", "teaching-loop-queues.png",
                 "teaching-side-by-side.png"):
        with Image.open(tmp_path / name) as image:
            assert image.width >= 1000 and image.height >= 700, name
    with Image.open(tmp_path / "blocking-slowmo.gif") as gif:
        assert gif.n_frames >= 20 and gif.width >= 900
