"""Files that cannot hurt: every hostile trace file (tests/export/hostile.py) is refused with
one line naming what is wrong, by load and by the Chrome export, and by the command line
with exit 2 and no traceback; bombs are refused in bounded memory; seeded mutants of real
traces either load (and export) or are refused with one line, never anything else."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from loopviz.export import TraceFileError, export_chrome_trace, load_trace, save_trace
from loopviz.session import resolve, run_headless
from tests.export.hostile import cases, v1_bytes, v1_doc
from tests.export.mutate import mutant

# Mutants per format: CI's fixed budget (LOOPVIZ_FUZZ raises it for a longer hunt).
FUZZ = int(os.environ.get("LOOPVIZ_FUZZ", "400"))


@pytest.fixture(scope="module")
def real_traces():
    """Real runs with blocks, executor jobs and diagnostics, for the mutants to start from."""
    runs = [("interleaving", None, {"rounds": 2, "pause": 0.02}),
            ("blocking-sleep", "pitfall", {}), ("starvation", "pitfall", {}),
            ("fire-and-forget", "pitfall", {})]
    return [run_headless(resolve(demo, variant, params), loop="asyncio").trace
            for demo, variant, params in runs]


@pytest.fixture(scope="module")
def hostile(real_traces):
    return cases(real_traces[0])


def test_every_hostile_file_is_refused_with_one_line_naming_the_problem(tmp_path, hostile):
    for (case, fmt), (data, message) in hostile.items():
        path = tmp_path / f"hostile.{fmt}"
        path.write_bytes(data)
        for read in (load_trace, lambda p: export_chrome_trace(p, tmp_path / "out.json")):
            with pytest.raises(TraceFileError) as info:
                read(path)
            line = str(info.value)
            assert message in line and "\n" not in line, (case, fmt, line)
            assert line.startswith(str(path)), (case, fmt, line)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        {f"hostile.{fmt}" for _, fmt in hostile}), "no export left behind"


def test_the_command_line_refuses_each_kind_with_exit_2_and_one_line(tmp_path, hostile):
    """One process, every file (a process per file would take minutes): main() as the
    console script calls it, stderr captured per file."""
    files = []
    for i, ((_case, fmt), (data, message)) in enumerate(sorted(hostile.items())):
        path = tmp_path / f"{i}.{fmt}"
        path.write_bytes(data)
        files.append((str(path), message))
    code = ("import contextlib, io, json, sys\n"
            "from loopviz.cli import main\n"
            "out = []\n"
            f"for path, _ in {files!r}:\n"
            "    err = io.StringIO()\n"
            "    with contextlib.redirect_stderr(err):\n"
            "        rc = main(['export', path, '--chrome-trace', path + '.json'])\n"
            "    out.append((rc, err.getvalue()))\n"
            "print(json.dumps(out))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr[-2000:]
    for (path, message), (rc, err) in zip(files, json.loads(proc.stdout), strict=True):
        assert rc == 2 and err.count("\n") == 1 and message in err, (path, rc, err)
        assert "Traceback" not in err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM is Linux's")
@pytest.mark.parametrize("bomb", ["gzip", "zstd"])
def test_a_bomb_is_refused_before_it_costs_memory(tmp_path, hostile, bomb):
    """Inflated, the gzip bomb is 400 MB and the zstd one 640 MB; refused, the process
    stays near its start-up size (the limits: docs/DESIGN.md)."""
    data = hostile[("gzip bomb", "v1.gz") if bomb == "gzip" else
                   ("zstd bomb in many frames", "v2")][0]
    path = tmp_path / "bomb"
    path.write_bytes(data)
    assert len(data) < 1 << 20
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec from the (big) parent
    code = ("import sys\n"
            "from loopviz.cli import main\n"
            "rc = main(['export', sys.argv[1], '--chrome-trace', sys.argv[1] + '.json'])\n"
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
            "print(rc, int(hwm.split()[1]) // 1024)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=120)
    rc, peak_mb = map(int, proc.stdout.split())
    assert rc == 2 and ("larger than" in proc.stderr or "bomb" in proc.stderr), proc.stderr
    assert peak_mb < 250, f"refusing the {bomb} bomb peaked at {peak_mb} MB"


def test_a_version_1_file_of_many_empty_lists_is_refused_before_parsing(tmp_path):
    doc = v1_doc()
    doc["meta"]["pad"] = [[]] * 1_200_000  # 4 MB of JSON, ~80 MB of Python lists
    path = tmp_path / "lists.json"
    path.write_bytes(v1_bytes(doc))
    with pytest.raises(TraceFileError, match="more than 1048576 objects and lists"):
        load_trace(path)


@pytest.fixture(scope="module")
def spools(tmp_path_factory):
    """Flight recorder spools of real runs that ended in os._exit (tests/remote)."""
    folder = tmp_path_factory.mktemp("spools")
    program = Path(__file__).parents[1] / "session" / "endings" / "ends_abruptly.py"
    out = []
    for loop in ("qt", "asyncio"):
        path = folder / f"{loop}.loopviz"
        subprocess.run([sys.executable, "-m", "loopviz", "run", "--loop", loop, "--trace",
                        str(path), str(program), "os._exit", str(folder / "marker")],
                       capture_output=True, timeout=60)
        out.append(path.read_bytes())
    return out


@pytest.mark.parametrize("fmt", ["v1", "v2", "spool"])
def test_mutants_of_real_traces_load_or_are_refused_with_one_line(tmp_path, real_traces, fmt,
                                                                 request):
    originals = [v1_bytes(v1_doc())] if fmt == "v1" else request.getfixturevalue("spools") \
        if fmt == "spool" else \
        [save_trace(t, tmp_path / f"{i}.loopviz").read_bytes() for i, t in enumerate(real_traces)]
    path, out = tmp_path / "mutant", tmp_path / "mutant.json"
    seen: Counter[str] = Counter()
    for seed in range(FUZZ):
        rng = random.Random(f"{fmt}-{seed}")
        path.write_bytes(mutant(rng.choice(originals), fmt, rng))
        try:
            load_trace(path)
        except TraceFileError as exc:
            assert "\n" not in str(exc) and str(exc).startswith(str(path)), (seed, str(exc))
            seen["refused"] += 1
            continue
        except Exception as exc:  # anything else is a reader bug: the seed reproduces it
            pytest.fail(f"{fmt} mutant {seed}: {type(exc).__name__}: {exc}")
        try:  # a file that loads exports (a version 2 one streamed, checked again per frame)
            export_chrome_trace(path, out)
        except Exception as exc:
            pytest.fail(f"{fmt} mutant {seed} loads but does not export: "
                        f"{type(exc).__name__}: {exc}")
        seen["loaded"] += 1
    print(f"{fmt}: {FUZZ} mutants, {dict(seen)}")
    assert seen["refused"] > FUZZ // 4 and seen["loaded"] > FUZZ // 20, seen


def test_a_task_outcome_that_is_none_of_the_four_is_refused(tmp_path, real_traces):
    trace = real_traces[0]
    *tasks, last = trace.tasks
    odd = dataclasses.replace(trace, tasks=[*tasks, dataclasses.replace(last, outcome="exploded")])
    path = tmp_path / "odd.loopviz"
    save_trace(odd, path)
    with pytest.raises(TraceFileError, match="outcome is not one of result, exception"):
        load_trace(path)
