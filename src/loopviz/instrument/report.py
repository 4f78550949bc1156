"""Reporting diagnostics into whatever is recording right now.

``Recording.start``/``stop`` register their recorder here (with the thread that runs its loop,
the *UI thread*), so code that only sees a symptom (a Qt warning, our demo helpers, a warnings
hook, a GC callback) can put a :class:`Diagnostic` into every active trace.

Contract:
- :func:`report_diagnostic` and :func:`check_ui_thread` are public (demos call them); their
  signatures do not change.
- :func:`report_per_site` keeps one diagnostic per site (kind, file, line, what) and recording:
  repeats raise its ``count``, so a thread that touches the UI 292 times makes one record
  (shown "× 292"), not 292; each piece of advice (``hint``) is given once.
- :func:`emit` never blocks for long and never deadlocks: hooks may fire inside a garbage
  collection that started while the recorder's lock was held by this very thread, so when the
  lock cannot be taken promptly the record waits in a queue flushed by the next emit or by
  :func:`unregister`.
"""

from __future__ import annotations

import ast
import linecache
import threading
import types
from dataclasses import dataclass, field, replace

from loopviz import _cpython
from loopviz.instrument import sites
from loopviz.trace.recorder import Recorder
from loopviz.trace.records import Diagnostic, DiagnosticKind
from loopviz.trace.wording import place

_LOCK_WAIT_S = 0.05


@dataclass(frozen=True, slots=True, eq=False)
class ActiveRecording:
    recorder: Recorder
    ui_ident: int  # the thread that runs the recorded loop
    # report_per_site's state: site → [first diagnostic, latest]
    sites: dict[tuple[str, str, int, str], list[Diagnostic]] = field(default_factory=dict)
    hinted: set[str] = field(default_factory=set)  # advice already given


_active: list[ActiveRecording] = []
_deferred: list[tuple[Recorder, Diagnostic]] = []
_sites_lock = threading.Lock()
_user_files: dict[str, bool] = {}
_callees: dict[tuple[str, int], str | None] = {}


# ---- registry --------------------------------------------------------------------------------
def register(recorder: Recorder, ui_ident: int | None = None) -> None:
    """Make ``recorder`` a destination of reports (``Recording.start`` calls this)."""
    ident = threading.get_ident() if ui_ident is None else ui_ident
    _active.append(ActiveRecording(recorder, ident))


def unregister(recorder: Recorder) -> None:
    """Stop reporting to ``recorder``; anything still queued for it is written first."""
    _flush()
    for i in range(len(_active) - 1, -1, -1):
        if _active[i].recorder is recorder:
            del _active[i]
            break


def active() -> tuple[ActiveRecording, ...]:
    return tuple(_active)


def ui_ident_of(recorder: Recorder) -> int | None:
    return next((a.ui_ident for a in _active if a.recorder is recorder), None)


# ---- writing --------------------------------------------------------------------------------
def emit(recorder: Recorder, diagnostic: Diagnostic) -> None:
    """Append ``diagnostic`` to ``recorder`` (see the module contract about the lock)."""
    if recorder.lock.acquire(timeout=_LOCK_WAIT_S):
        try:
            recorder.diagnostics.append(diagnostic)
        finally:
            recorder.lock.release()
        if _deferred:
            _flush()
    else:
        _deferred.append((recorder, diagnostic))


def _flush() -> None:
    while _deferred:
        recorder, diagnostic = _deferred[0]
        if not recorder.lock.acquire(timeout=_LOCK_WAIT_S):
            return
        try:
            recorder.diagnostics.append(diagnostic)
        finally:
            recorder.lock.release()
        del _deferred[0]


def report_diagnostic(kind: DiagnosticKind, message: str, *, file: str | None = None,
                      line: int | None = None, task: int | None = None) -> None:
    """Write a diagnostic to every active recording. ``file``/``line`` default to the caller's
    innermost user frame; ``task`` defaults to the task running on that recording's UI thread
    when called there."""
    if file is None or line is None:
        ufile, uline = caller_site(_cpython.getframe(1))
        file = ufile if file is None else file
        line = uline if line is None else line
    me = threading.get_ident()
    for rec in tuple(_active):
        tid = task
        if tid is None and me == rec.ui_ident:
            tid = rec.recorder.running_task
        emit(rec.recorder, Diagnostic(rec.recorder.now(), kind, message, tid, file, line))


def report_per_site(kind: DiagnosticKind, message: str, *, file: str, line: int, hint: str = "",
                    what: str = "") -> None:
    """:func:`report_diagnostic` once per site and recording (see the module contract):
    ``message`` names what happened, ``hint`` (what to do instead) is appended to the first
    diagnostic that needs it only, ``what`` tells apart different events on one line."""
    me = threading.get_ident()
    site = (kind, file, line, what)
    for rec in tuple(_active):
        recorder = rec.recorder
        with _sites_lock:  # worker threads report concurrently; counts must not be lost
            entry = rec.sites.get(site)
            if entry is None:
                text = message
                if hint and hint not in rec.hinted:
                    rec.hinted.add(hint)
                    text = f"{message}; {hint}"
                task = recorder.running_task if me == rec.ui_ident else None
                diag = Diagnostic(recorder.now(), kind, text, task, file, line)
                rec.sites[site] = [diag, diag]
                emit(recorder, diag)
                continue
            first, latest = entry
            entry[1] = replace(latest, count=latest.count + 1)
            _replace(recorder, first, entry[1])


def _replace(recorder: Recorder, first: Diagnostic, new: Diagnostic) -> None:
    """Put ``new`` where the record of ``first``'s site is (recorded or still deferred)."""
    def same(d: Diagnostic) -> bool:
        return d.t_ns == first.t_ns and d.kind == first.kind and d.line == first.line \
            and d.file == first.file
    for i, (rec, diag) in enumerate(_deferred):
        if rec is recorder and same(diag):
            _deferred[i] = (recorder, new)
            return
    if recorder.lock.acquire(timeout=_LOCK_WAIT_S):  # else this count shows with the next
        try:
            diags = recorder.diagnostics
            for i in range(len(diags) - 1, -1, -1):
                if same(diags[i]):
                    diags[i] = new
                    break
        finally:
            recorder.lock.release()


def check_ui_thread(what: str) -> bool:
    """True on the UI thread. Elsewhere, report ``wrong-thread-ui`` naming ``what``, this
    thread and the caller's line, and return False (the caller decides what to do)."""
    me = threading.get_ident()
    uis: set[int | None] = {a.ui_ident for a in _active} or {threading.main_thread().ident}
    if me in uis:
        return True
    file, line = caller_site(_cpython.getframe(1))
    report_wrong_thread(f"{what} touched", file, line, what=what)
    return False


UI_THREAD_HINT = ("widgets belong to the UI thread (hand the update over with "
                  "call_soon_threadsafe or a Qt signal)")


def report_wrong_thread(happened: str, file: str, line: int, *, what: str = "",
                        hint: str = UI_THREAD_HINT) -> None:
    """A ``wrong-thread-ui`` diagnostic, once per site: "``happened`` from thread 'T', not the
    UI thread, at file:line"; the advice comes with the first one of the recording."""
    name = threading.current_thread().name
    at = f" at {place(file, line)}" if file else ""
    report_per_site("wrong-thread-ui", f"{happened} from thread {name!r}, not the UI thread{at}",
                    file=file, line=line, hint=hint, what=what)


# ---- where is "the user's" line -------------------------------------------------------------
def is_user_file(filename: str) -> bool:
    """The same rule as :func:`sites.is_user_code`, for a bare filename (tracebacks, origins)."""
    ok = _user_files.get(filename)
    if ok is None:
        ok = _user_files[filename] = sites.is_user_file(filename)
    return ok


def caller_site(frame: types.FrameType | None) -> tuple[str, int]:
    """file:line of the innermost user frame at or above ``frame`` (else ``frame``'s own)."""
    first = frame
    while frame is not None:
        if sites.is_user_code(frame.f_code):
            return frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back
    return (first.f_code.co_filename, first.f_lineno) if first is not None else ("", 0)


def callee_at(file: str, line: int) -> str | None:
    """The outermost call written on ``file:line`` (``time.sleep``, ``fut.result``), read from
    the source: a C function has no frame, so this is how a block names what it was doing."""
    key = (file, line)
    if key in _callees:
        return _callees[key]
    name = None
    text = linecache.getline(file, line).strip()
    if text.endswith(":"):
        text += " pass"
    try:
        tree = ast.parse(text)
    except SyntaxError:
        tree = None
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                break
    if name is not None and len(name) > 60:
        name = name[:57] + "..."
    _callees[key] = name
    return name

