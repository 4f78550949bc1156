"""What can be run: a demo from the catalogue, or a user's ``.py`` file with ``async def main()``.

Resolving never runs the target's ``main``; loading a script does execute its top level (that
is how Python defines ``main``), inside its own module namespace. Every way a target can be
wrong becomes one :class:`TargetError` with a one-line message.
"""

from __future__ import annotations

import inspect
import os
import types
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopviz.demos import Demo, get_demo
from loopviz.trace import Finding, Trace
from loopviz.trace.concurrency import in_flight_peak


class TargetError(Exception):
    """Bad input: unknown demo, unreadable file, syntax error, no async ``main``."""


@dataclass
class Target:
    id: str  # demo id, or the script's path
    title: str
    variant: str | None
    source_file: str
    make_main: Callable[[], Coroutine[Any, Any, Any]]
    demo: Demo | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def findings(self, trace: Trace) -> list[Finding]:
        if self.demo is not None:
            return self.demo.findings(trace, self.variant, **self.params)
        return general_findings(trace)


def general_findings(trace: Trace) -> list[Finding]:
    """What any run shows, for scripts that bring no ``check`` of their own."""
    out = [Finding(f"{len(trace.tasks)} tasks (at most {trace.max_concurrency()} alive and "
                   f"{in_flight_peak(trace)} in flight at once), {len(trace.steps)} steps in "
                   f"{trace.duration_ns / 1e9:.2f} s")]
    block = trace.longest_block()
    if block is not None:
        where = f"{os.path.basename(block.file)}:{block.line}" if block.file else "unknown line"
        out.append(Finding(f"UI thread blocked {(block.end_ns - block.start_ns) / 1e9:.2f} s "
                           f"by {block.function or 'code'} at {where}", ok=False,
                           data={"at_ns": block.start_ns}))
    for diag in trace.diagnostics:
        out.append(Finding(f"{diag.kind}: {diag.message}", ok=False, data={"at_ns": diag.t_ns}))
    return out


def resolve(spec: str, variant: str | None = None,
            params: dict[str, Any] | None = None) -> Target:
    """A demo id or a path to a ``.py`` file → a runnable Target (TargetError otherwise)."""
    params = dict(params or {})
    looks_like_path = spec.endswith(".py") or os.sep in spec or Path(spec).exists()
    if not looks_like_path:
        try:
            demo = get_demo(spec)
        except KeyError:
            raise TargetError(f"unknown demo {spec!r} (see 'loopviz list')") from None
        variant = variant or demo.default_variant
        if variant not in demo.variants:
            raise TargetError(f"demo {spec!r} has no variant {variant!r} "
                              f"(choose from {', '.join(demo.variants)})")
        unknown = set(params) - {p.name for p in demo.params}
        if unknown:
            raise TargetError(f"demo {spec!r} has no parameter {sorted(unknown)[0]!r}")
        return Target(demo.id, demo.title, variant, demo.source_file(),
                      lambda: demo.make_main(variant, **params), demo, params)
    if variant not in (None, "default"):
        raise TargetError("--variant applies to demos, not to scripts")
    return load_script(spec)


def load_script(path_str: str) -> Target:
    path = Path(path_str)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TargetError(f"{path_str}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetError(f"{path_str}: cannot read ({exc.__class__.__name__}: {exc})") from None
    try:
        code = compile(source, str(path.resolve()), "exec")
    except SyntaxError as exc:
        raise TargetError(f"{path_str}:{exc.lineno}: syntax error: {exc.msg}") from None
    module = types.ModuleType(f"loopviz_script_{path.stem}")
    module.__file__ = str(path.resolve())
    try:
        exec(code, module.__dict__)
    except SystemExit as exc:
        raise TargetError(f"{path_str}: called sys.exit({exc.code}) while loading") from None
    except BaseException as exc:
        raise TargetError(f"{path_str}: failed while loading: "
                          f"{type(exc).__name__}: {exc}") from None
    main = module.__dict__.get("main")
    if main is None:
        raise TargetError(f"{path_str}: defines no main() (write 'async def main(): ...')")
    if not inspect.iscoroutinefunction(main):
        raise TargetError(f"{path_str}: main is not async (write 'async def main(): ...')")
    try:
        inspect.signature(main).bind()
    except TypeError:
        raise TargetError(f"{path_str}: main() must take no required arguments") from None
    return Target(str(path), path.name, None, str(path.resolve()), main)
