"""Side by side, predict-then-run and the GIF export, driven in the window."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from PySide6.QtCore import QPointF

from loopviz.demos import get_demo
from loopviz.ui.teaching.quiz import grade
from loopviz.ui.teaching.replay_frames import frame_times

from .test_window_teaching import choose


def test_side_by_side_runs_both_variants_and_shows_both_totals(window, qtbot):
    choose(window, "sequential-vs-gather", "pitfall", fetches=3, delay=0.2)
    view = window.teaching.run_side_by_side()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.finished, timeout=20_000) as blocker:
        pass
    pitfall, fixed = blocker.args[0]
    text = view.totals.text()
    match = re.fullmatch(r"sequential (\d+\.\d\d) s vs gather (\d+\.\d\d) s", text)
    assert match, text
    assert float(match[1]) == round(pitfall.trace.duration_ns / 1e9, 2)
    assert float(match[2]) == round(fixed.trace.duration_ns / 1e9, 2)
    assert float(match[1]) > 2 * float(match[2])
    assert [v.model.trace for v in view.timelines] == [pitfall.trace, fixed.trace]
    (_, a1), _ = view.timelines[0].view_box.viewRange()
    assert a1 >= pitfall.trace.duration_ns / 1e9
    # one time axis: the same instant is at the same x on screen in both timelines
    xs = [v.plot.mapToGlobal(v.plot.mapFromScene(v.view_box.mapViewToScene(QPointF(0.2, 0))))
          .x() for v in view.timelines]
    assert abs(xs[0] - xs[1]) <= 1


def test_the_quiz_checks_a_right_and_a_wrong_prediction(window, run_to_end):
    window.teaching.act["quiz"].setChecked(True)
    quiz = window.teaching.quiz
    choose(window, "sequential-vs-gather", "fixed", fetches=2, delay=0.2)
    assert quiz.question is get_demo("sequential-vs-gather").question
    quiz.choose(0)  # "about one delay": right for gather
    run_to_end(window)
    assert quiz.result is not None and quiz.result.correct and quiz.result.answer == 0
    assert quiz.verdict.text().startswith("✓")
    choose(window, "sequential-vs-gather", "pitfall", fetches=2, delay=0.2)
    quiz.choose(0)  # wrong for one-by-one
    result = run_to_end(window)
    assert quiz.result is not None and not quiz.result.correct and quiz.result.answer == 1
    assert quiz.verdict.text().startswith("✗")
    no_answer = grade(quiz.question, None, result.trace, "pitfall", result.target.params)
    assert not no_answer.correct and no_answer.answer == 1


def test_a_gif_of_a_short_replay_has_the_expected_frames_and_size(window, run_to_end,
                                                                   tmp_path):
    choose(window, "sequential-vs-gather", "fixed", fetches=2, delay=0.2)
    run_to_end(window)
    trace = window.trace
    path = tmp_path / "replay.gif"
    info = window.teaching.export_replay(str(path), fps=10, speed=0.5, max_width=640)
    expected = len(frame_times(trace.duration_ns, 10, 0.5))
    assert info.frames == expected and 4 <= expected <= 10
    with Image.open(path) as gif:
        assert gif.n_frames == expected
        assert gif.size == info.size and gif.size[0] == 640
        assert gif.info["duration"] == 100
        assert gif.info.get("loop") == 0
    assert window.timeline.model.trace is trace  # the views are back on the whole run


def test_frame_times_cover_the_run_at_the_frame_rate_and_end_on_its_last_instant():
    assert frame_times(1_000_000_000, 10, 1.0) == [i * 100_000_000 for i in range(11)]
    times = frame_times(5_000_000, 10, 0.001)  # 5 ms at 0.001×: 5 s of frames
    assert len(times) == 51 and times[-1] == 5_000_000


def test_an_mp4_of_a_short_replay_has_the_frames_and_the_final_hold(window, run_to_end,
                                                                    tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="the video extra")
    from loopviz.ui.teaching.replay_frames import FINAL_HOLD_MS

    choose(window, "sequential-vs-gather", "fixed", fetches=2, delay=0.2)
    run_to_end(window)
    path = tmp_path / "replay.mp4"
    info = window.teaching.export_replay(str(path), fps=10, speed=0.5, max_width=640)
    expected = len(frame_times(window.trace.duration_ns, 10, 0.5)) + FINAL_HOLD_MS // 100
    assert info.frames == expected and info.size == (640, info.size[1])
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert frames == expected
    assert seconds == pytest.approx(expected / 10, abs=0.15)
