"""``loopviz`` command line (docs/DESIGN.md "Command line").

Exit codes: for a demo, 0 when the run finished (even if its main raised: that is a result);
for a program, the exit status ``python`` would have given it. 2 bad usage or bad input, 1
loopviz itself failed. ``--version``, ``list`` and ``--help`` import no Qt; ``run`` and ``gui``
import it lazily.

A program's stdout and stderr are its own: ``run``'s summary goes to stderr after them, and
with ``--json`` the program's file descriptor 1 (its children's included) is pointed at stderr
for the run, so that stdout holds only the JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from typing import Any, NoReturn

from loopviz import __version__

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
_STARTED = time.monotonic()  # about when the command began: a time limit's deadline counts from it


class UsageError(Exception):
    """Bad usage or bad input: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one clear line instead of usage + error
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _size(text: str) -> tuple[int, int]:
    """``1280x720`` -> (1280, 720): a window size for ``gui --size``."""
    width, sep, height = text.lower().partition("x")
    try:
        w, h = int(width), int(height)
    except ValueError:
        w = h = 0
    if not sep or not (320 <= w <= 10000 and 240 <= h <= 10000):
        raise argparse.ArgumentTypeError(f"{text!r} is not a window size like 1280x720")
    return w, h


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="loopviz", description="Make Python's asyncio event loop visible.")
    p.add_argument("--version", action="version", version=f"loopviz {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    gui = sub.add_parser("gui", help="the desktop app (the default)")
    gui.add_argument("target", nargs="?", help="demo id, or a program (prog.py [args...])")
    gui.add_argument("-m", dest="module", metavar="MODULE",
                     help="run a module as 'python -m MODULE [args...]' would")
    gui.add_argument("--variant", choices=("pitfall", "fixed", "default"))
    gui.add_argument("--run", action="store_true", help="run the target at start")
    gui.add_argument("--presentation", action="store_true", help="big fonts for a projector")
    gui.add_argument("--open", dest="open_trace", metavar="TRACE", help="open a saved trace")
    gui.add_argument("--screenshot", metavar="PNG", help="save the window after the run")
    gui.add_argument("--quit-after-run", action="store_true")
    gui.add_argument("--size", type=_size, metavar="WxH",
                     help="the window's size, e.g. 1280x720 (a projector)")
    gui.add_argument("--trace", dest="trace_out", metavar="OUT",
                     help="with --run: save the run's trace (.json or .json.gz) when it ends")
    gui.add_argument("--attach", metavar="HOST:PORT",
                     help="watch a program that serves its trace (loopviz.serve, "
                          "loopviz run --serve): its recent past, then live")
    gui.add_argument("--token", help="the token the program asks for (or $LOOPVIZ_TOKEN)")
    gui.add_argument("--duration", type=float, metavar="SECONDS",
                     help="with --attach: detach after SECONDS (then --screenshot, "
                          "--quit-after-run apply)")
    gui.add_argument("--record", metavar="GIF|MP4",
                     help="after the run, export its replay as an animated GIF (or an MP4 "
                          "video for a .mp4 name: the video extra), then quit")

    lst = sub.add_parser("list", help="the demo catalogue")
    lst.add_argument("--json", action="store_true")

    run = sub.add_parser("run", help="run headless, print a summary, write trace files")
    run.add_argument("target", nargs="?", help="demo id, or a program (prog.py [args...])")
    run.add_argument("-m", dest="module", metavar="MODULE",
                     help="run a module as 'python -m MODULE [args...]' would")
    run.add_argument("--variant", choices=("pitfall", "fixed", "default"))
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="a demo parameter (repeatable)")
    run.add_argument("--trace", metavar="OUT", help="write the native trace (OUT.loopviz)")
    run.add_argument("--chrome-trace", metavar="OUT", help="write Chrome/Perfetto trace JSON")
    run.add_argument("--keep-last", type=float, metavar="SECONDS",
                     help="keep only the last SECONDS of records (a ring buffer: long runs "
                          "in bounded memory)")
    run.add_argument("--timeout", type=float, metavar="SECONDS",
                     help="cancel the target after this many seconds")
    run.add_argument("--loop", choices=("qt", "asyncio"), default="qt")
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.add_argument("--serve", metavar="HOST:PORT",
                     help="serve the live trace to viewers (loopviz gui --attach, loopviz "
                          "attach); keeps the last 60 s unless --keep-last says otherwise")
    _exposure_options(run, "serve beyond loopback (needs --token)")

    att = sub.add_parser("attach", help="receive a served program's live trace, headless")
    att.add_argument("address", metavar="HOST:PORT")
    att.add_argument("--duration", type=float, metavar="SECONDS",
                     help="receive this long (default: until the program ends, or Ctrl-C)")
    att.add_argument("--trace", metavar="OUT", help="save what was received (OUT.loopviz)")
    att.add_argument("--json", action="store_true", help="print one JSON object")
    att.add_argument("--token", help="the token the program asks for (or $LOOPVIZ_TOKEN)")

    exp = sub.add_parser("export", help="convert a saved trace")
    exp.add_argument("trace", metavar="TRACE")
    exp.add_argument("--chrome-trace", metavar="OUT", required=True)
    return p


def _exposure_options(parser: argparse.ArgumentParser, remote_help: str) -> None:
    parser.add_argument("--allow-remote", action="store_true", help=remote_help)
    parser.add_argument("--token", help="viewers must present this (or $LOOPVIZ_TOKEN)")


# Options of ``run``/``gui`` that take a value: the scan for a program's own arguments skips it.
_VALUE_OPTIONS = {"--variant", "--param", "--trace", "--chrome-trace", "--timeout", "--loop",
                  "--keep-last", "--serve", "--token", "--attach", "--duration",
                  "--open", "--screenshot", "--record"}


def split_program_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """(loopviz's arguments, the program's own). For ``run``, as with ``python``, everything
    after the program (``prog.py`` or ``-m MODULE``) is the program's; a demo id ends nothing
    (its options may follow it). For ``gui``, whose options usually follow the target, the
    program's arguments are those after ``--``."""
    if not argv or argv[0] not in ("run", "gui"):
        return argv, []
    if argv[0] == "gui":
        if "--" in argv:
            cut = argv.index("--")
            return argv[:cut], argv[cut + 1:]
        return argv, []
    i = 1
    while i < len(argv):
        token = argv[i]
        if token == "-m":
            return argv[:i + 2], argv[i + 2:]
        if token == "--":
            return argv[:i] + argv[i + 1:i + 2], argv[i + 2:]
        if token.startswith("-"):
            i += 2 if token in _VALUE_OPTIONS else 1
            continue
        if token.endswith(".py") or os.sep in token or os.path.isfile(token):
            return argv[:i + 1], argv[i + 1:]
        return argv, []
    return argv, []


def main(argv: list[str] | None = None) -> int:
    try:
        whole = sys.argv[1:] if argv is None else list(argv)
        ours, program_args = split_program_args(whole)
        args = _parser().parse_args(ours)
        args.program_args = program_args
        # the command itself (not a caller inside its process) may supervise its own run
        args.argv, args.own_process = whole, argv is None
        command = args.command or "gui"
        if command == "list":
            return _list(args.json)
        if command == "run":
            return _run(args)
        if command == "attach":
            return _attach(args)
        if command == "export":
            return _export(args.trace, args.chrome_trace)
        return _gui(args)
    except UsageError as exc:
        print(f"loopviz: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `loopviz run ... | head`: the reader left; not our failure
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - flushed at exit, then dropped
        return EXIT_OK


def _list(as_json: bool) -> int:
    from loopviz.demos import all_demos

    demos = all_demos()
    if as_json:
        print(json.dumps([{"id": d.id, "title": d.title, "category": d.category,
                           "summary": d.summary, "variants": list(d.variants),
                           "params": [p.name for p in d.params]} for d in demos], indent=2))
        return EXIT_OK
    category = None
    for d in demos:
        if d.category != category:
            category = d.category
            print(f"\n{category}")
        variants = "" if d.variants == ("default",) else f"  [{'/'.join(d.variants)}]"
        print(f"  {d.id:<24} {d.summary}{variants}")
    return EXIT_OK


def _params(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--param wants NAME=VALUE, not {pair!r}")
        try:
            out[name] = int(value)
        except ValueError:
            try:
                out[name] = float(value)
            except ValueError:
                raise UsageError(f"--param {name}: {value!r} is not a number") from None
    return out


def _target(args: argparse.Namespace, params: dict[str, Any] | None = None) -> Any:
    """The Target the arguments name (UsageError with one line otherwise)."""
    from loopviz.session import TargetError, resolve

    if args.module and args.target:
        raise UsageError(f"give a target or -m MODULE, not both ({args.target!r})")
    spec = args.module or args.target
    if spec is None:
        raise UsageError(f"{args.command} needs a demo id, a program or -m MODULE")
    try:
        return resolve(spec, args.variant, params, args=args.program_args,
                       module=bool(args.module))
    except TargetError as exc:
        raise UsageError(str(exc)) from None


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """File descriptor 1 (and so child processes' stdout) points at stderr while inside;
    a ``sys.stdout`` that is not fd 1 (a test's capture) is redirected as well."""
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no fd 1 at all: nothing reaches it anyway
        saved = None
    if saved is not None:
        os.dup2(2, 1)
    try:
        on_fd1 = sys.stdout.fileno() == 1
    except (AttributeError, OSError, ValueError):
        on_fd1 = False
    try:
        with contextlib.nullcontext() if on_fd1 else contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


def _run(args: argparse.Namespace) -> int:
    if args.keep_last is not None and not args.keep_last > 0:
        raise UsageError("--keep-last must be a positive number of seconds")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    from loopviz.session import supervisor

    if args.timeout and args.own_process and supervisor.can_supervise() and \
            not supervisor.supervised():
        return _supervise(args)  # a time limit that holds: see session/supervisor.py
    supervisor.child_setup()
    target = _target(args, _params(args.param))
    from loopviz.session import run_headless
    from loopviz.trace import Recorder

    recorder, server = _served(args) if args.serve else (
        Recorder(keep_last_s=args.keep_last), None)
    from loopviz.remote.flight_recorder import open_flight_recorder

    flight = open_flight_recorder(recorder, args.trace)  # the trace, whatever the ending
    try:
        with _stdout_to_stderr() if args.json else contextlib.nullcontext():
            result = run_headless(target, timeout=args.timeout, loop=args.loop,
                                  recorder=recorder, plugins=[flight] if flight else None)
    except Exception as exc:
        if server is not None:
            server.stop("stopped", "the run failed inside loopviz")
        print(f"loopviz: the run failed inside loopviz: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return EXIT_FAILED
    supervisor.notify("ended")
    if flight is not None:  # the whole trace is saved over its spool (bad input: nothing ran)
        flight.close(keep=result.status != "bad-input")
    if server is not None:
        server.stop("ended", f"the program ended ({result.status})")
    if result.status == "bad-input":
        raise UsageError(result.error or "bad input")
    _write_traces(result.trace, args.trace, args.chrome_trace)
    _print_summary(result.summary(), args.json, program=target.program is not None)
    code = EXIT_OK if result.exit_code is None else result.exit_code
    supervisor.notify(f"done {code}")
    return code


def _print_summary(summary: dict[str, Any], as_json: bool, *, program: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=2, default=str))
    else:  # a program's stdout is its own: the summary follows its output on stderr
        print(format_summary(summary), file=sys.stderr if program else sys.stdout)
    sys.stdout.flush()


def _supervise(args: argparse.Namespace) -> int:
    """Run this very command as a supervised child; print the summary if it had to be killed
    (a killed program exits with 130, as one stopped in-process; a demo's run is a result)."""
    from loopviz.session import supervisor

    spec = args.module or args.target
    demo = supervisor.demo_named(None if args.module else spec)
    outcome = supervisor.supervise(args.argv, args.timeout, target=spec, started=_STARTED,
                                   variant=args.variant or (demo and demo.default_variant))
    if outcome.summary is not None:
        kept = f"the trace until then is in {args.trace}" if args.trace and \
            os.path.exists(args.trace) else "no trace written"  # the flight recorder's
        if args.trace or args.chrome_trace:
            print(f"loopviz: {kept}: {outcome.summary['error']}", file=sys.stderr)
        _print_summary(outcome.summary, args.json, program=demo is None)
    return outcome.code if outcome.summary is None else EXIT_OK if demo else 130


def _write_traces(trace: Any, native: str | None, chrome: str | None = None) -> None:
    """Save the trace where asked (UsageError with one line if a file cannot be written)."""
    try:
        if native:
            from loopviz.export import save_trace

            save_trace(trace, native)
        if chrome:
            from loopviz.export import save_chrome_trace

            save_chrome_trace(trace, chrome)
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename}: {exc.strerror}") from None


def _served(args: argparse.Namespace) -> tuple[Any, Any]:
    """``run --serve``: a ring-buffered recorder and its started server."""
    from loopviz.remote.serving import serve_recorder

    try:
        return serve_recorder(args.serve, keep_last=args.keep_last, token=args.token,
                              allow_remote=args.allow_remote)
    except ValueError as exc:  # a bad or busy address; beyond loopback without flag/token
        raise UsageError(str(exc)) from None


def _attach(args: argparse.Namespace) -> int:
    from loopviz.remote.attach import receive_verbosely

    try:
        received = receive_verbosely(args.address, args.duration, args.token)
    except ValueError as exc:  # nothing there, not loopviz, refused, a bad --duration
        raise UsageError(str(exc)) from None
    _write_traces(received.trace, args.trace)
    summary = received.summary()
    print(json.dumps(summary, indent=2, default=str) if args.json else
          "\n".join([received.headline(), *format_summary(summary).splitlines()[1:]]))
    return EXIT_OK


def format_summary(s: dict[str, Any]) -> str:
    """The human summary of ``loopviz run``: a few lines a terminal user reads at a glance."""
    from loopviz.trace.wording import duration

    variant = f" ({s['variant']})" if s.get("variant") else ""
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(s["outcomes"].items())) or "none"
    block = (f"{duration(s['longest_block_ns'])} at {s['longest_block_at']}"
             if s["longest_block_ns"] else "none")
    program = "exit_code" in s  # a program's summary follows its own stderr: say whose it is
    lines = [
        ("loopviz · " if program else "")
        + f"{s['target']}{variant}: {s['status']} in {s['duration_ns'] / 1e9:.2f} s"
        + (f" ({s['error']})" if s.get("error") else "")
        + (f" · exit status {s['exit_code']}" if program else ""),
        f"  tasks {s['tasks']} ({outcomes}) · alive at most {s['max_concurrency']}"
        f" · in flight at most {s['in_flight_max']} · steps {s['steps']}",
        f"  longest block {block} · loop lag p50 {duration(s['loop_lag_p50_ns'])},"
        f" p99 {duration(s['loop_lag_p99_ns'])}",
        *([f"  ring buffer: kept the last {ring['keep_last_s']:g} s"
           + (f", dropped everything before {ring['dropped_before_ns'] / 1e9:.2f} s"
              if ring.get("dropped_before_ns") else ", nothing dropped")]
          if (ring := s.get("ring_buffer")) else []),
    ]
    n_diags = len(s["diagnostics"])
    lines[-1] += f" · diagnostics {n_diags}" if n_diags else ""
    if s["facts"]:  # one line per fact: findings merged with what they restate, repeats counted
        lines.append("findings:")
        for fact in s["facts"]:
            mark = "✓" if fact["ok"] else ("!" if fact["kind"] in ("block", "diagnostic")
                                           else "✗")
            count = f"  × {fact['count']}" if fact["count"] > 1 else ""
            lines.append(f"  {mark} {fact['text']}{count}")
    return "\n".join(lines)


def _export(trace_path: str, out: str) -> int:
    from loopviz.export import TraceFileError, export_chrome_trace

    try:  # a version 2 file streams: memory does not grow with the trace
        export_chrome_trace(trace_path, out)
    except TraceFileError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror}") from None
    print(f"wrote {out}")
    return EXIT_OK


def _gui(args: argparse.Namespace) -> int:
    target = None
    if getattr(args, "target", None) or getattr(args, "module", None):
        target = _target(args)  # bad input is reported before any window appears
    from loopviz.ui.app import run_gui

    return run_gui(
        target, variant=getattr(args, "variant", None),
        run=getattr(args, "run", False), presentation=getattr(args, "presentation", False),
        open_trace=getattr(args, "open_trace", None), screenshot=getattr(args, "screenshot", None),
        quit_after_run=getattr(args, "quit_after_run", False),
        record=getattr(args, "record", None), trace_out=getattr(args, "trace_out", None),
        size=getattr(args, "size", None), attach=getattr(args, "attach", None),
        token=getattr(args, "token", None), duration=getattr(args, "duration", None),
    )
