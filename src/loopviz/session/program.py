"""A user's program, run the way ``python prog.py args`` or ``python -m pkg.mod args`` runs it.

Finding a program (:func:`find_program`) reads and compiles it, never runs it: bad input (no
such file, a syntax error, no such module) is a :class:`TargetError` before anything starts.
Running it (:func:`run_as_main`) executes its code once, as ``__main__``, inside
:func:`main_environment`, which sets ``sys.argv``, ``sys.path[0]`` and
``sys.modules["__main__"]`` exactly as ``python`` does (so pickling, process pools and
``multiprocessing`` find the program's functions) and puts everything back afterwards (the
desktop app runs many programs in one process). :func:`exit_status` turns how it ended into
``python``'s exit status, printing an uncaught exception the way ``python`` does (through
``sys.excepthook``, without loopviz's own frames).
"""

from __future__ import annotations

import builtins
import contextlib
import os
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from loopviz import _cpython
from loopviz.instrument.sites import is_loopviz_file, is_user_file
from loopviz.session.time_limit import TimeLimitExceeded


class TargetError(Exception):
    """Bad input: unknown demo, unreadable file, syntax error, no async ``main``."""


@dataclass(frozen=True, slots=True)
class Program:
    """What to run. ``path`` is the file as given (``sys.argv[0]`` under ``python``) or, for
    ``-m``, None; ``source_file`` is the absolute path of its code either way."""

    path: str | None
    module: str | None
    args: tuple[str, ...]
    source_file: str

    @property
    def title(self) -> str:
        return os.path.basename(self.path) if self.path else f"-m {self.module}"

    @property
    def spec(self) -> str:
        """How the program is named on loopviz's command line (``prog.py``, ``-m pkg.mod``)."""
        return self.path if self.path else f"-m {self.module}"


def find_program(spec: str, *, module: bool = False, args: tuple[str, ...] = ()) -> Program:
    """A program file (or, with ``module``, a module name) → a :class:`Program`, compiled to
    check it; nothing of it runs. :class:`TargetError` with one line otherwise."""
    if module:
        with _path0(os.getcwd()):
            try:
                _name, mod_spec, _code = _cpython.module_details(spec, TargetError)
            except TargetError as exc:
                raise TargetError(f"-m {spec}: {exc}") from None
            except SyntaxError as exc:
                raise TargetError(_syntax_error(exc.filename or spec, exc)) from None
            except Exception as exc:  # the package's __init__ raised while importing
                raise TargetError(f"-m {spec}: failed while importing: "
                                  f"{type(exc).__name__}: {exc}") from None
        return Program(None, spec, tuple(args), str(mod_spec.origin))
    path = Path(spec)
    _compile(path, spec)
    return Program(spec, None, tuple(args), os.path.abspath(spec))


def _compile(path: Path, spec: str) -> types.CodeType:
    try:
        source = path.read_bytes()
    except FileNotFoundError:
        raise TargetError(f"{spec}: no such file") from None
    except IsADirectoryError:
        raise TargetError(f"{spec}: is a directory, not a Python file") from None
    except OSError as exc:
        raise TargetError(f"{spec}: cannot read ({exc.__class__.__name__}: {exc})") from None
    try:
        return compile(source, os.path.abspath(spec), "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise TargetError(_syntax_error(spec, exc)) from None
    except ValueError as exc:  # null bytes, a bad coding cookie
        raise TargetError(f"{spec}: cannot compile ({exc})") from None


def _syntax_error(spec: str, exc: SyntaxError) -> str:
    return f"{spec}:{exc.lineno}: syntax error: {exc.msg}"


@contextlib.contextmanager
def _path0(entry: str) -> Iterator[None]:
    saved = sys.path[:]
    if sys.path:
        sys.path[0] = entry
    else:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        sys.path[:] = saved


@contextlib.contextmanager
def main_environment(program: Program) -> Iterator[types.ModuleType]:
    """``sys.argv``, ``sys.path``, ``sys.modules["__main__"]``, the exception hook and the
    standard streams as ``python`` gives them to ``program`` for the duration; restored after,
    and the program's own modules (files outside the stdlib and site-packages) forgotten, so
    the next run imports them afresh as a new ``python`` would."""
    saved_argv, saved_main = sys.argv[:], sys.modules.get("__main__")
    saved_hooks = (sys.excepthook, sys.stdout, sys.stderr)
    before = set(sys.modules)
    main = types.ModuleType("__main__")
    if program.path is not None:
        entry = os.path.dirname(os.path.realpath(program.path))
        main.__file__ = os.path.abspath(program.path)
        main.__cached__ = None  # type: ignore[attr-defined]
        sys.argv = [program.path, *program.args]
    else:
        entry = os.getcwd()
        sys.argv = ["-m", *program.args]  # runpy puts the module's file in argv[0]
    sys.modules["__main__"] = main
    sys.excepthook = sys.__excepthook__  # a fresh python's (the host's is not the program's)
    try:
        with _path0(entry):
            yield main
    finally:
        sys.argv = saved_argv
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
        sys.excepthook, sys.stdout, sys.stderr = saved_hooks
        for name in set(sys.modules) - before:
            file = getattr(sys.modules[name], "__file__", None)
            if file and is_user_file(file):
                del sys.modules[name]


def run_as_main(program: Program, main: types.ModuleType) -> None:
    """Execute ``program`` in ``main`` (inside :func:`main_environment`); what it raises,
    ``SystemExit`` included, propagates."""
    if program.module is not None:
        _cpython.run_module_as_main(program.module)
        return
    assert program.path is not None
    code = _compile(Path(program.path), program.path)  # afresh: the file may have changed
    main.__dict__.update(__builtins__=builtins, __spec__=None, __package__=None,
                         __loader__=_loader(program))
    exec(code, main.__dict__)


def _loader(program: Program) -> Any:
    from importlib.machinery import SourceFileLoader

    return SourceFileLoader("__main__", os.path.abspath(program.path or ""))


EndingStatus = Literal["finished", "exited", "raised", "interrupted", "bad-input"]
"""How a program ended: returned, ``sys.exit``, an exception, Ctrl-C, or it never started (bad
input: a file that does not compile, a module that is not found)."""


@dataclass(frozen=True, slots=True)
class Ending:
    """How a program ended: ``status`` (finished | exited | raised | interrupted), one line
    about it (None when it simply finished) and ``python``'s exit status for it."""

    status: EndingStatus
    error: str | None
    exit_code: int


def exit_status(exc: BaseException | None, print_error: bool = True) -> Ending:
    """The :class:`Ending` of a run that raised ``exc`` (None: it returned). Like ``python``,
    an uncaught exception is printed through ``sys.excepthook`` and ``sys.exit("text")``
    prints its text on stderr."""
    if exc is None:
        return Ending("finished", None, 0)
    if isinstance(exc, SystemExit):
        code = exc.code
        if code is None or isinstance(code, int):
            status = 0 if code is None else code
            return Ending("exited", f"sys.exit({code!r})" if status else None, status & 0xFF)
        if print_error:
            print(code, file=sys.stderr)
        return Ending("exited", f"sys.exit({code!r})", 1)
    if print_error and not isinstance(exc, TimeLimitExceeded):  # loopviz's, said in the summary
        _print_uncaught(exc)
    line = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, KeyboardInterrupt):
        return Ending("interrupted", "KeyboardInterrupt", 130)
    return Ending("raised", line, 1)


def _print_uncaught(exc: BaseException) -> None:
    _drop_loopviz_frames(exc, set())
    try:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    except Exception:  # a broken hook: python then prints both, as here
        import traceback

        traceback.print_exception(exc)


def _drop_loopviz_frames(exc: BaseException, seen: set[int]) -> None:
    """The traceback ``python`` would show: loopviz's own frames (the host, its hooks on
    ``asyncio.run``) taken out, in chained and grouped exceptions too. For ``-m`` runpy's
    frames stay: ``python -m`` shows them as well."""
    if id(exc) in seen:
        return
    seen.add(id(exc))
    kept = []
    tb = exc.__traceback__
    while tb is not None:
        if not is_loopviz_file(tb.tb_frame.f_code.co_filename):
            kept.append(tb)
        tb = tb.tb_next
    new: types.TracebackType | None = None
    for entry in reversed(kept):
        new = types.TracebackType(new, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    exc.__traceback__ = new
    for other in (exc.__cause__, exc.__context__, *getattr(exc, "exceptions", ())):
        if isinstance(other, BaseException):
            _drop_loopviz_frames(other, seen)
