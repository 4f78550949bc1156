"""What can be run: a demo from the catalogue, or a user's program (a ``.py`` file, or a module
with ``-m``) run as ``python`` runs it.

Resolving never runs anything of the target: a program is read and compiled only (it runs once,
as ``__main__``, when a session runs it). Every way a target can be wrong before it runs
becomes one :class:`TargetError` with a one-line message.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopviz.demos import Demo, get_demo
from loopviz.session.program import Program, TargetError, find_program
from loopviz.trace import Finding, Trace
from loopviz.trace.concurrency import in_flight_peak
from loopviz.trace.wording import block_sentence


@dataclass
class Target:
    id: str  # demo id, or how the program was named (``prog.py``, ``-m pkg.mod``)
    title: str
    variant: str | None
    source_file: str
    make_main: Callable[[], Coroutine[Any, Any, Any]] | None  # a demo's; None for a program
    demo: Demo | None = None
    params: dict[str, Any] = field(default_factory=dict)
    program: Program | None = None

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
        out.append(Finding(block_sentence(block), ok=False, data={"at_ns": block.start_ns}))
    for diag in trace.diagnostics:
        out.append(Finding(f"{diag.kind}: {diag.message}", ok=False, data={"at_ns": diag.t_ns}))
    return out


def resolve(spec: str, variant: str | None = None, params: dict[str, Any] | None = None,
            *, args: tuple[str, ...] | list[str] = (), module: bool = False) -> Target:
    """A demo id, a path to a program or (``module``) a module name → a runnable Target
    (TargetError otherwise). ``args`` are the program's own arguments (its ``sys.argv[1:]``)."""
    params = dict(params or {})
    looks_like_path = spec.endswith(".py") or os.sep in spec or Path(spec).exists()
    if module or looks_like_path:
        if variant not in (None, "default"):
            raise TargetError("--variant applies to demos, not to programs")
        if params:
            raise TargetError("--param applies to demos, not to programs")
        return program_target(find_program(spec, module=module, args=tuple(args)))
    if args:
        raise TargetError(f"demo {spec!r} takes no arguments of its own (got {args[0]!r})")
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


def program_target(program: Program) -> Target:
    return Target(program.spec, program.title, None, program.source_file, None,
                  program=program)


def load_script(path_str: str, args: tuple[str, ...] = ()) -> Target:
    """A program file → its Target (checked, not run)."""
    return program_target(find_program(path_str, args=args))
