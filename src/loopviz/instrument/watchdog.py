"""The watchdog: a daemon thread that explains every stall of the UI thread.

The UI thread beats a :class:`~loopviz.instrument.probes.Heartbeat` (a 10 ms QTimer in the app,
a loop timer elsewhere). The watchdog never touches the loop: every ``poll_s`` it reads
``last_beat_ns``; once the beat is late it samples the UI thread's stack
(``sys._current_frames()``), and when a heartbeat interval longer than ``threshold_s`` shows up
in the recorder it records a :class:`Block` (start = the last beat before the stall, end = the
first beat after it) attributed to the line most samples were on, plus a ``blocked-loop``
diagnostic unless an observer (deadlock, runaway guard) claimed the stall with its own.

A C call that holds the GIL (``sum(range(10**9))``) starves this thread, so Python-level
sampling cannot see it: ``faulthandler.dump_traceback_later`` (a C thread that needs no GIL),
re-armed about every ``rearm_s``, dumps the stacks into a temp file if we stop re-arming it,
and that dump attributes the block instead. faulthandler has one timer per process: a second
watchdog does without the backstop; at stop the timer is cancelled.

The dump reads every thread's frames without the GIL. That is safe while one thread holds the
GIL in a C call (every other thread is parked), but not when this thread is merely starved by
busy Python threads taking turns: then a frame can change under the reader and the process
dies (seen: a CPU-bound worker thread on a loaded 2-core machine starved this thread past the
old 75 ms delay, and ~1 run in 6 of the offload-cpu demo segfaulted). So the dump waits
``1.5 × rearm_s`` = 0.3 s by default: GIL hand-offs every 5 ms make plain contention that long
rare, and a C call holding the GIL for 0.3 s or more is still caught.

Invariants: samples are keyed by the beat they follow, so a sample always belongs to the stall
that started at that beat; a stall is reported once, when the heartbeat shows its end (or at
``uninstall`` if the UI thread has not beaten since).
"""

from __future__ import annotations

import faulthandler
import functools
import os
import sys
import tempfile
import threading
import time
import types
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

from loopviz import _cpython
from loopviz.instrument import sites
from loopviz.instrument.gc_pauses import GcPauses
from loopviz.instrument.plugin import RecordingView
from loopviz.instrument.report import callee_at, emit, is_user_file
from loopviz.instrument.stall_owner import EVENT_PROCESSING, in_loop_wait, only_drawing
from loopviz.instrument.thread_cpu import ThreadCpu
from loopviz.trace.observer import own_ns_between, without_own_edges
from loopviz.trace.records import Block, Culprit, Diagnostic, DiagnosticKind
from loopviz.trace.wording import block_sentence

_now = time.monotonic_ns
STARVED_NS = 250_000_000  # a tick gap this long: the watchdog itself could not run (GIL held)
UNSCHEDULED_SHARE = 0.25  # less CPU than this in a stall the watchdog missed too: not run
_backstop_lock = threading.Lock()  # faulthandler's later-dump timer is one per process
_PKG = sites.PKG_DIR  # ends with os.sep
_LOOP_DIRS = (os.path.join(sites.PKG_DIR, "loop") + os.sep,)
_UI_DIR = os.path.join(sites.PKG_DIR, "ui") + os.sep


@dataclass(frozen=True, slots=True)
class Sample:
    """One look at the stalled UI thread (raw monotonic ``t``)."""

    t: int
    file: str
    line: int
    function: str  # what the culprit line was calling (``time.sleep``), else its function
    culprit: Culprit
    stack: tuple[str, ...]
    task: int | None
    code: types.CodeType | None  # the innermost user frame's code (what a guard may abort)
    backstop: bool = False


@dataclass(frozen=True, slots=True)
class Stall:
    """The UI thread right now, as the watchdog sees it while its beat is late."""

    start_ns: int  # raw monotonic: the last beat
    late_ns: int
    sample: Sample | None
    watched: bool  # False if the watchdog itself was starved since its previous look


class StallObserver(Protocol):
    """Hooks called on the watchdog thread; one that raises is removed and reported."""

    def stall_tick(self, watchdog: Watchdog, stall: Stall, frame: Any) -> None: ...

    def stall_ended(self, watchdog: Watchdog, start_ns: int, block: Block) -> None: ...


@functools.lru_cache(maxsize=4096)
def category(filename: str) -> Culprit:
    """Who owns a non-user frame: qt, loop, loopviz or unknown. Remembered per file name:
    ``realpath`` costs ~30 us of system calls, and the watchdog asks for every sample it
    takes (every 5 ms while the loop is late), from its own thread, against the program's."""
    if is_user_file(filename):
        return "user"
    path = os.path.normcase(os.path.realpath(filename))
    if "PySide6" in path or "shiboken" in path or "pyqtgraph" in path:
        return "qt"
    if (path.startswith(_LOOP_DIRS) or os.sep + "asyncio" + os.sep in path
            or "qasync" in path or path.endswith("selectors.py")):
        return "loop"
    if path.startswith(_PKG):
        return "loopviz"
    return "unknown"


# Where the event loop hands control to a callback or task step (asyncio's loop and loopviz's
# both run handles through Handle._run). User frames *outside* it are whoever started the loop
# (a script's asyncio.run, a test): they are never the culprit of a stall inside the loop.
_DISPATCH_CODE = _cpython.HANDLE_RUN_CODE
_DISPATCH_FILE = _DISPATCH_CODE.co_filename
# Where a loop runs Qt's or the selector's event processing: reached before any dispatch, the
# stall is that processing's (a window's paint inside a program's asyncio.run), not the user
# line that started the loop. (``_exec`` is loopviz's Qt loop's call of Qt's exec().)
_RUNS_LOOP = _cpython.LOOP_RUNNERS | {"_exec"}


def _runs_loop(function: str, filename: str) -> bool:
    return function in _RUNS_LOOP and category(filename) == "loop"


def sample_frame(frame: Any, t: int, task: int | None) -> Sample | None:
    """Attribute one stack (innermost ``frame``) to its innermost user line inside the loop's
    dispatch (see ``_DISPATCH_CODE``)."""
    if frame is None:
        return None
    inner = None  # the library frame the user frame called, if any
    f = frame
    dispatched = False  # passed the loop's dispatch: outer frames only started the loop
    ui_owned = False  # reached loopviz's own UI first: a paint, a resize, the bridge
    while f is not None and not sites.is_user_code(f.f_code):
        if f.f_code is _DISPATCH_CODE or _runs_loop(f.f_code.co_name, f.f_code.co_filename):
            dispatched = True
            break
        if f.f_code.co_filename.startswith(_UI_DIR):
            ui_owned = True
            break
        if not sites.is_loopviz_code(f.f_code):  # not loopviz's hooks around the call
            inner = f
        f = f.f_back
    stack = tuple(sites.current_stack_summary(frame))
    if f is None or dispatched or ui_owned:
        code = frame.f_code
        # Qt/pyqtgraph work called from loopviz's window, not from a callback of the loop,
        # is the observer's own work (whatever started the app: a console script, a test).
        owner = category(code.co_filename)
        if ui_owned and owner != "loop":
            owner = "loopviz"
        elif _runs_loop(code.co_name, code.co_filename):
            # Nothing of Python above the loop's run: Qt's own event processing (a window's
            # paint), or the process not getting the CPU. No line of anyone's to point at.
            return Sample(t, "", 0, EVENT_PROCESSING, "unknown", stack, task, None)
        return Sample(t, code.co_filename, frame.f_lineno or code.co_firstlineno,
                      code.co_qualname, owner, stack, task, None)
    code = f.f_code
    # f_lineno is None at an instruction with no line (seen sampling 200,000 tasks' program)
    line = f.f_lineno or code.co_firstlineno
    name = callee_at(code.co_filename, line)
    if name is None:
        name = inner.f_code.co_qualname if inner is not None else code.co_qualname
    return Sample(t, code.co_filename, line, name, "user", stack, task, code)


def parse_dump(text: str, ident: int, t: int, task: int | None) -> Sample | None:
    """The UI thread's stack from a faulthandler dump (innermost first) → a Sample."""
    frames = _cpython.dumped_stack(text, ident)
    if not frames:
        return None
    stack = tuple(f"{f}:{n} in {fn}" for f, n, fn in reversed(frames))
    for file, line, fn in frames:
        if (fn == _cpython.HANDLE_RUN_NAME and file == _DISPATCH_FILE) or _runs_loop(fn, file):
            break  # outside the loop's dispatch: whoever started the loop, not a culprit
        if is_user_file(file):
            return Sample(t, file, line, callee_at(file, line) or fn, "user", stack, task,
                          None, backstop=True)
    file, line, fn = frames[0]
    return Sample(t, file, line, fn, category(file), stack, task, None, backstop=True)


class Watchdog:
    """An :class:`~loopviz.instrument.plugin.Instrument`: installed on a recording, it watches the
    thread that installed it."""

    def __init__(self, threshold_s: float = 0.05, *, poll_s: float = 0.005,
                 sample_after_s: float | None = None, backstop: bool = True,
                 rearm_s: float = 0.2) -> None:
        self.threshold_s = threshold_s
        self.poll_s = poll_s
        # Sampling starts before the threshold so short blocks still get a few samples.
        self.sample_after_s = threshold_s / 2 if sample_after_s is None else sample_after_s
        self.backstop = backstop
        self.rearm_s = rearm_s
        self.observers: list[StallObserver] = []
        self.stall: Stall | None = None  # the UI is stuck right now (the UI's countdown reads it)
        self.blocks: list[Block] = []  # blocks this watchdog recorded (tests, the soak)
        self.unscheduled: list[tuple[int, int]] = []  # stalls of the whole process, not blamed
        self._cpu: ThreadCpu | None = None
        self._gc = GcPauses()
        self.recorder: Any = None
        self.heartbeat: Any = None
        self.ui_ident = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._claims: dict[int, str] = {}
        self._samples: dict[int, list[Sample]] = {}
        self._dumped: list[Sample] = []
        self._dump_file: Any = None
        self._armed_at = 0

    # ---- lifecycle ------------------------------------------------------------------------
    def install(self, recording: RecordingView) -> None:
        """Watch the thread calling this (the UI thread); without a heartbeat, do nothing."""
        if recording.heartbeat is None or self._thread is not None:
            return
        self.recorder, self.heartbeat = recording.recorder, recording.heartbeat
        self.ui_ident = threading.get_ident()
        self.recorder.thread_id(self.ui_ident, role="ui-loop")
        self._cpu = ThreadCpu.of(self.ui_ident)
        self._gc.install()
        now = _now()
        # A stall may begin right after the heartbeat's start (the target's first step), before
        # this install: count from that beat, unless it is stale.
        self._since = max(min(now, self.heartbeat.last_beat_ns), now - 200_000_000)
        self._hb_index = len(self.recorder.ui_heartbeat)
        self._last_tick = now
        if self.backstop and _backstop_lock.acquire(blocking=False):
            # lives until uninstall: faulthandler writes into it from its own C thread
            self._dump_file = tempfile.TemporaryFile(prefix="loopviz-backstop-")  # noqa: SIM115
            self._arm(now)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="loopviz-watchdog", daemon=True)
        self._thread.start()

    def uninstall(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=2.0)
        self._thread = None
        self._gc.uninstall()
        try:
            self._tick(final=True)
        finally:
            if self._dump_file is not None:
                faulthandler.cancel_dump_traceback_later()
                self._dump_file.close()
                self._dump_file = None
                _backstop_lock.release()
            self.stall = None
            self._samples.clear()
            self._dumped.clear()
            self._claims.clear()

    def culprit_of(self, start_ns: int) -> Sample | None:
        """The most sampled user line of the stall that began at ``start_ns`` so far."""
        samples = [s for s in self._samples.get(start_ns, ()) if s.code is not None]
        if not samples:
            return None
        counts = Counter((s.file, s.line) for s in samples)
        key = counts.most_common(1)[0][0]
        return next(s for s in reversed(samples) if (s.file, s.line) == key)

    def claim(self, start_ns: int, kind: DiagnosticKind) -> None:
        """An observer explains the stall that began at ``start_ns`` with its own diagnostic."""
        self._claims[start_ns] = kind

    # ---- the thread -----------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self._tick()
            except Exception as exc:  # never take the app down; say so once and stop watching
                print(f"loopviz: watchdog stopped after {exc!r}", file=sys.stderr)
                return

    def _tick(self, final: bool = False) -> None:
        now = _now()
        gap, self._last_tick = now - self._last_tick, now
        if self._cpu is not None:
            self._cpu.record(now)
        if self._dump_file is not None:
            self._read_dump()
            if not final and now - self._armed_at >= self.rearm_s * 1e9:
                self._arm(now)
        self._scan_beats()
        beat = self.heartbeat.last_beat_ns
        late = now - beat
        if self.heartbeat.paused:  # outside the loop on purpose: nothing is stalled
            self.stall = None
            return
        if final:
            if late >= self.threshold_s * 1e9 and beat in self._samples:
                self._finish(beat, now)
            return
        if late < self.sample_after_s * 1e9 or beat < self._since:
            self.stall = None
            return
        frame = _cpython.current_frames().get(self.ui_ident)
        sample = sample_frame(frame, now, self.recorder.running_task)
        if sample is not None:
            self._samples.setdefault(beat, []).append(sample)
        self.stall = stall = Stall(beat, late, sample, gap < STARVED_NS)
        if late >= self.threshold_s * 1e9:
            for obs in tuple(self.observers):
                self._notify(obs, "stall_tick", stall, frame)
        del frame

    def _scan_beats(self) -> None:
        beats = self.recorder.ui_heartbeat
        n = len(beats)
        threshold = self.threshold_s * 1e9
        last_end = None
        while self._hb_index < n:
            t, interval = beats[self._hb_index]
            self._hb_index += 1
            last_end = t
            if interval >= threshold and t - interval >= self._since:
                self._finish(t - interval, t)
        if last_end is not None:  # stalls shorter than the threshold: forget their samples
            for beat in [b for b in self._samples if b < last_end]:
                del self._samples[beat]
            self._dumped = [s for s in self._dumped if s.t >= last_end]

    def _finish(self, start: int, end: int) -> None:
        samples = self._samples.pop(start, [])
        dumped = [s for s in self._dumped if start <= s.t <= end]
        self._dumped = [s for s in self._dumped if s not in dumped]
        if self._cpu is not None:
            self._cpu.record(_now())  # the beat that ended it may be newer than this tick's start
        seen = samples + dumped
        if self._cpu is not None and (self._cpu.unscheduled(start, end, UNSCHEDULED_SHARE)
                                      or self._waited(seen, start, end)):
            # The process was not running (see thread_cpu.py): none of the program's code ran
            # (samples, if any, were taken on resuming), so nothing is blamed on the program;
            # the heartbeat's gap still shows in the chart.
            self.unscheduled.append((start, end))
            if self.stall is not None and self.stall.start_ns == start:
                self.stall = None
            self._claims.pop(start, None)
            return
        block, backstop = self._block(start, end, seen)
        self.blocks.append(block)
        if block.culprit == "loopviz":
            # The observer's own stall (a first paint, a trace rebuild): shown as loopviz's
            # work on the UI lane, like its repaints, not as a block of the user's program.
            self.recorder.add_callback(block.thread, start, end,
                                       f"loopviz: stalled in {block.function or 'its own code'}")
            if self.stall is not None and self.stall.start_ns == start:
                self.stall = None
            for obs in tuple(self.observers):
                self._notify(obs, "stall_ended", start, block)
            self._claims.pop(start, None)
            return
        self.recorder.add_block(block)
        if self.stall is not None and self.stall.start_ns == start:
            self.stall = None
        for obs in tuple(self.observers):
            self._notify(obs, "stall_ended", start, block)
        if self._claims.pop(start, None) is None:
            text = block_sentence(block)
            if backstop:
                text += " (a C call holding the GIL, caught by the faulthandler backstop)"
            emit(self.recorder, Diagnostic(block.end_ns, "blocked-loop", text, block.task,
                                           block.file, block.line))

    def _waited(self, seen: list[Sample], start: int, end: int) -> bool:
        """The thread sat in its loop's own wait, not run (see ``stall_owner``)."""
        used = self._cpu.used(start, end) if self._cpu is not None else None
        return in_loop_wait(seen, used, self.threshold_s * 1e9)

    def _own_block(self, thread: int, start: int, end: int, samples: list[Sample]) -> Block:
        own = Counter(s.function for s in samples if s.culprit == "loopviz").most_common(1)
        return Block(thread, self.recorder.ns(start), self.recorder.ns(end), "", 0,
                     own[0][0] if own else "its window's updates", (), None, "loopviz")

    def _block(self, start: int, end: int, samples: list[Sample]) -> tuple[Block, bool]:
        """The block and whether only the backstop saw its culprit."""
        rec = self.recorder
        thread = rec.thread_id(self.ui_ident, role="ui-loop")
        # Samples from the backstop were taken while the GIL was held (the bulk of such a
        # stall); Python samples of the same stall only see its tail, after the C call returned.
        samples = [s for s in samples if s.backstop] or samples
        user = [s for s in samples if s.culprit == "user"]
        if end - start - own_ns_between(rec.callbacks, thread, start, end) < self.threshold_s * 1e9:
            # loopviz's recorded updates and paints (a collection inside them included) took all
            # but a sub-threshold rest: the observer's stall whatever its few samples caught
            # (the GIL is rarely free to sample in a paint; between paints Qt draws in C).
            return self._own_block(thread, start, end, samples), False
        start, end = without_own_edges(rec.callbacks, thread, start, end)  # the program's part
        samples = [s for s in samples if start <= s.t <= end] or samples
        collecting = self._gc.culprit(self.ui_ident, start, end)
        if collecting is not None:  # it held the GIL: where it started, if a sample says
            at = user[-1] if user else None
            return Block(thread, rec.ns(start), rec.ns(end), at.file if at else "",
                         at.line if at else 0, collecting, at.stack if at else (), None,
                         "gc"), False
        windowed = own_ns_between(rec.callbacks, thread, start - 1_000_000_000, end) > 0
        if not user and only_drawing(samples, windowed):  # the app's window drew: its stall
            return self._own_block(thread, start, end, samples), False
        # A user line is the culprit when it held most of the stall: one sample of a task step
        # among many of a repaint does not make the step the cause of the whole stall.
        pool = user if len(user) * 2 >= len(samples) else samples
        if not pool:
            return Block(thread, rec.ns(start), rec.ns(end), "", 0, "", (), None, "unknown"), False
        counts = Counter((s.file, s.line, s.function) for s in pool)
        (file, line, function), _ = counts.most_common(1)[0]
        best = [s for s in pool if (s.file, s.line, s.function) == (file, line, function)]
        tasks = Counter(s.task for s in best if s.task is not None)
        task = tasks.most_common(1)[0][0] if tasks else None
        return Block(thread, rec.ns(start), rec.ns(end), file, line, function, best[0].stack,
                     task, best[0].culprit), any(s.backstop for s in best)

    # ---- the faulthandler backstop --------------------------------------------------------------
    def _arm(self, now: int) -> None:
        faulthandler.dump_traceback_later(self._dump_timeout_s(), repeat=False,
                                          file=self._dump_file, exit=False)
        self._armed_at = now

    def _dump_timeout_s(self) -> float:
        return self.rearm_s * 1.5  # fires 0.5-1.5 rearm periods into a GIL-holding call

    def _read_dump(self) -> None:
        fd = self._dump_file.fileno()
        if os.fstat(fd).st_size == 0:
            return
        text = os.pread(fd, 1 << 20, 0).decode("utf-8", "replace")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        t = self._armed_at + int(self._dump_timeout_s() * 1e9)
        sample = parse_dump(text, self.ui_ident, t, self.recorder.running_task)
        if sample is not None:
            self._dumped.append(sample)

    def _notify(self, obs: Any, hook: str, *args: Any) -> None:
        try:
            getattr(obs, hook)(self, *args)
        except Exception as exc:  # a broken observer must not stop the watchdog
            self.observers.remove(obs)
            print(f"loopviz: {obs!r} disabled after {hook} raised {exc!r}", file=sys.stderr)
