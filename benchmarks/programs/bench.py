"""What the benchmark programs print when ``main`` returns (benchmarks/scale.py reads it).

``BENCH in_program=... cpu=... main_end=... cpu_end=...`` on stderr: the program's own time,
its CPU time, the monotonic instant ``main`` returned and the process's CPU time by then (so the
benchmark can tell the program's time from what the tool adds before and after it). Run
under ``loopviz run`` with ``BENCH_RECORDING=1`` set, the same line also gives the recording's
size at that instant (before any build): the recorder's hot step/wake/due columns (``hot``)
and everything reachable from the recorder (``whole``: task entries, sites, names, findings),
with the number of steps recorded.
"""
import gc
import os
import sys
import time
import types
import weakref

_LEAVES = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
           types.CodeType, weakref.ref)


def deep_size(root: object) -> int:
    """Bytes of ``root`` and of every object reachable from it, each counted once; weak
    references are not followed (a task entry's weakref to its live task is counted, the task
    is the program's), nor are types, modules, functions or code objects."""
    seen = {id(root)}
    todo = [root]
    total = 0
    while todo:
        obj = todo.pop()
        total += sys.getsizeof(obj)
        if isinstance(obj, _LEAVES):
            continue
        for ref in gc.get_referents(obj):
            if id(ref) not in seen:
                seen.add(id(ref))
                todo.append(ref)
    return total


def recording_size() -> str:
    """`` steps=N hot=B whole=B`` of the recording this process runs under, or ''."""
    if not os.environ.get("BENCH_RECORDING"):
        return ""
    from loopviz.instrument import report

    active = report.active()
    if not active:
        return ""
    rec = active[-1].recorder
    rec.compact()
    gc.collect()
    with rec.lock:
        whole = deep_size(vars(rec))
    return f" steps={rec.step_count()} hot={rec.memory_bytes()} whole={whole}"


def done(t0: float, c0: float, extra: str = "") -> None:
    """Print the BENCH line; ``t0``/``c0``: ``perf_counter``/``process_time`` at the start."""
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    size = recording_size()
    print(f"BENCH in_program={wall:.6f} cpu={cpu:.6f} main_end={time.monotonic():.6f} "
          f"cpu_end={time.process_time():.6f}{extra}{size}", file=sys.stderr)
