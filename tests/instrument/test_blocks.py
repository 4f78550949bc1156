"""The watchdog: blocks attributed to their line, on the Qt loop and on plain asyncio."""

from __future__ import annotations

import os

from loopviz.trace.wording import block_sentence, duration
from tests.instrument.conftest import culprit_line, kinds, program, program_blocks, run_program


def test_blocking_sleep_is_attributed_to_its_line(loop_kind: str) -> None:
    result = run_program("sleep_block", loop=loop_kind)
    assert kinds(result) == ["blocked-loop"]
    [block] = program_blocks(result)
    secs = (block.end_ns - block.start_ns) / 1e9
    assert 0.29 <= secs < 0.6
    assert (os.path.basename(block.file), block.line) == ("sleep_block.py",
                                                          culprit_line("sleep_block"))
    assert block.function == "time.sleep" and block.culprit == "user"
    assert block.task is not None
    [diag] = result.trace.diagnostics
    assert diag.line == block.line
    assert diag.message.startswith(f"UI thread blocked {duration(block.end_ns - block.start_ns)}")
    assert f"by time.sleep at sleep_block.py:{block.line}" in diag.message
    assert result.summary()["longest_block_at"] == f"{program('sleep_block')}:{block.line}"


def test_c_call_holding_the_gil_is_caught_by_the_backstop() -> None:
    result = run_program("c_call_block")
    assert kinds(result) == ["blocked-loop"]
    [block] = program_blocks(result)
    assert block.line == culprit_line("c_call_block")
    assert block.function == "sum"
    assert "faulthandler backstop" in result.trace.diagnostics[0].message


def test_clean_program_produces_no_diagnostics_and_no_blocks(loop_kind: str) -> None:
    result = run_program("clean", loop=loop_kind)
    assert result.status == "finished"
    assert kinds(result) == []
    assert not program_blocks(result)


def test_a_stall_in_loopviz_itself_is_shown_as_its_own_work_not_a_block(loop_kind: str) -> None:
    """The observer's own stalls (a first paint) are grey loopviz segments on the UI lane, not
    blocks of the user's program: no blocked-loop diagnostic, not the 'longest block'."""
    result = run_program("own_stall", loop=loop_kind)
    assert program_blocks(result) == []
    assert "blocked-loop" not in kinds(result)
    [own] = [c for c in result.trace.callbacks if c.label.startswith("loopviz: stalled")]
    assert own.end_ns - own.start_ns >= 0.25e9
    assert "repaint_everything" in own.label


def test_library_code_loaded_from_a_zip_is_not_user_code() -> None:
    """PySide6 runs support modules from an embedded zip under relative names such as
    'shibokensupport/feature.py': a stall there is not the user's line."""
    from loopviz.instrument.sites import is_user_file

    assert not is_user_file("shibokensupport/feature.py")
    assert is_user_file(str(program("sleep_block")))
    assert is_user_file("<string>")


def test_one_sample_in_a_task_step_does_not_make_its_line_the_culprit_of_a_repaint():
    from loopviz.instrument.watchdog import EVENT_PROCESSING, Sample, Watchdog
    from loopviz.trace.recorder import Recorder

    dog = Watchdog()
    dog.recorder, dog.ui_ident = Recorder(), 1
    step = Sample(1, "prog.py", 26, "site.start", "user", (), None, None)
    paint = Sample(2, "", 0, EVENT_PROCESSING, "unknown", (), None, None)
    block, _ = dog._block(0, 200_000_000, [step, paint, paint, paint])
    assert (block.culprit, block.file, block.function) == ("unknown", "", EVENT_PROCESSING)
    block, _ = dog._block(0, 200_000_000, [step, step, paint])
    assert (block.culprit, block.file, block.line) == ("user", "prog.py", 26)
    assert "no Python code ran" in block_sentence(dog._block(0, 10**8, [paint])[0])


def test_a_sampled_frame_without_a_line_number_is_placed_on_its_function_not_fatal() -> None:
    """A frame sampled from the watchdog's thread can be at an instruction with no line
    (``f_lineno`` None, seen in a 200,000-task program): the sample names the function's first
    line, and the watchdog goes on watching instead of stopping at a TypeError."""
    from types import SimpleNamespace

    from loopviz.instrument.watchdog import sample_frame

    def user_function() -> None: ...

    code = user_function.__code__
    frame = SimpleNamespace(f_code=code, f_lineno=None, f_back=None)
    sample = sample_frame(frame, 123, None)
    assert sample is not None
    assert (sample.file, sample.line) == (code.co_filename, code.co_firstlineno)
    assert sample.culprit == "user"


def test_a_stall_loopvizs_own_updates_and_paints_took_is_its_own_whatever_was_sampled():
    """The window's recorded updates and paints (``loopviz: ...`` callbacks) covering a stall
    all but a sub-threshold rest make it loopviz's, even when its few samples found Qt's event
    processing (C paints between them) or a line in a view's slot; a stall they leave 50 ms or
    more of still belongs to the program."""
    from loopviz.instrument.watchdog import EVENT_PROCESSING, Sample, Watchdog
    from loopviz.trace.recorder import Recorder

    dog = Watchdog()
    dog.recorder, dog.ui_ident = Recorder(), 1
    thread = dog.recorder.thread_id(1, role="ui-loop")
    ms = 1_000_000
    for start, end, label in [(10 * ms, 150 * ms, "loopviz: update"),
                              (160 * ms, 190 * ms, "loopviz: repaint"),
                              (150 * ms, 400 * ms, "step of someone else's thread")]:
        dog.recorder.add_callback(thread, start, end, label)
    dog.recorder.add_callback(thread + 1, 190 * ms, 400 * ms, "loopviz: update")
    paint = Sample(2, "", 0, EVENT_PROCESSING, "unknown", (), None, None)
    step = Sample(1, "prog.py", 26, "site.start", "user", (), None, None)
    block, _ = dog._block(0, 200 * ms, [paint, step, step])
    assert block.culprit == "loopviz"
    block, _ = dog._block(0, 250 * ms, [paint, step, step])
    assert (block.culprit, block.line) == ("user", 26)


def test_a_block_that_went_on_in_loopvizs_paints_is_the_programs_only_up_to_them() -> None:
    """time.sleep returned at 250 ms, then the window painted until 400 ms before the next
    heartbeat: the block is the program's 0-250 ms, its line the sleep's (the paints are on
    the UI lane as loopviz's own work)."""
    from loopviz.instrument.watchdog import Sample, Watchdog
    from loopviz.trace.recorder import Recorder

    dog = Watchdog()
    dog.recorder, dog.ui_ident = Recorder(), 1
    thread = dog.recorder.thread_id(1, role="ui-loop")
    ms = 1_000_000
    dog.recorder.add_callback(thread, 250 * ms, 330 * ms, "loopviz: update")
    dog.recorder.add_callback(thread, 331 * ms, 400 * ms, "loopviz: repaint")
    sleep = [Sample(t * ms, "prog.py", 7, "time.sleep", "user", (), None, None) for t in (90, 200)]
    paint = [Sample(t * ms, "view.py", 3, "paint", "loopviz", (), None, None)
             for t in (280, 300, 350)]
    block, _ = dog._block(0, 400 * ms, sleep + paint)
    assert (block.culprit, block.line, block.function) == ("user", 7, "time.sleep")
    assert (block.start_ns, block.end_ns) == (dog.recorder.ns(0), dog.recorder.ns(250 * ms))


def test_in_the_app_a_stall_of_qt_drawing_with_no_line_of_the_programs_is_the_windows():
    """The window records its work on this thread: a stall whose every sample found Qt's event
    processing (C paints) or loopviz's own code, and no line of the program's, is the
    window's (an aiohttp run in the app listed 'blocked 285 ms by the event loop's own
    waiting'); without a window the same samples stay unexplained, as before."""
    from loopviz.instrument.watchdog import EVENT_PROCESSING, Sample, Watchdog
    from loopviz.trace.recorder import Recorder

    ms = 1_000_000
    drawing = [Sample(t * ms, "", 0, EVENT_PROCESSING, "unknown", (), None, None)
               for t in (1100, 1150)] + [Sample(1200 * ms, "view.py", 3, "paint", "loopviz",
                                                (), None, None)]
    for window, culprit in [(True, "loopviz"), (False, "unknown")]:
        dog = Watchdog()
        dog.recorder, dog.ui_ident = Recorder(), 1
        thread = dog.recorder.thread_id(1, role="ui-loop")
        if window:  # a repaint half a second before: this thread has a window
            dog.recorder.add_callback(thread, 500 * ms, 510 * ms, "loopviz: repaint")
        block, _ = dog._block(1000 * ms, 1300 * ms, drawing)
        assert block.culprit == culprit
