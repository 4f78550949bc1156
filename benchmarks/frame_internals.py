"""What the C core's dropped frame-internals path (``pycore_frame.h``) was worth, side by side.

The churn program of ``scale.py`` (20,000 tasks x 10 ``sleep(0)``) under ``loopviz run`` on
both loops, with the C core built twice into a temporary folder: as shipped (public C API
only), and the last version that read the interpreter's frame records (``_speedups.c`` of
commit ``INTERNALS_COMMIT``, taken from git; the Python side it talks to is unchanged). Runs
are interleaved, best of N each, against plain ``python``. The architecture issue dropped the
internals path because it saved less than ~0.1x; docs/DESIGN.md ("C speedups") records the
last measurement.

Run: python benchmarks/frame_internals.py [REPEAT]   (needs git, gcc and Python's headers)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import scale  # the churn program and the child runner, shared

SRC = Path(__file__).resolve().parent.parent / "src" / "loopviz"
TARGET = "public API only: at most ~0.1x more than the frame-internals build"
# The C core of this commit is the last that read pycore_frame.h (unchanged to be3d0e1~1).
INTERNALS_COMMIT = "578085b"


def build(root: Path, name: str, source: str) -> Path:
    """A copy of the package with the C core built by gcc from ``source`` (C text)."""
    folder = root / name
    shutil.copytree(SRC, folder / "loopviz", ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    out = folder / "loopviz" / f"_speedups{sysconfig.get_config_var('EXT_SUFFIX')}"
    c_file = folder / "loopviz" / "_speedups.c"
    c_file.write_text(source)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O3", "-DNDEBUG", "-fno-strict-overflow",
                    f"-I{sysconfig.get_paths()['include']}", str(c_file), "-o", str(out)],
                   check=True)
    return folder


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    root = Path(tempfile.mkdtemp(prefix="loopviz-fi-"))
    try:
        old = subprocess.run(["git", "show", f"{INTERNALS_COMMIT}:src/loopviz/_speedups.c"],
                             cwd=SRC, capture_output=True, text=True, check=True).stdout
        builds = {f"frame internals ({INTERNALS_COMMIT})": build(root, "internals", old),
                  "public API only (shipped)": build(root, "public",
                                                     (SRC / "_speedups.c").read_text())}
        script = str(scale.PROGRAMS / "churn.py")
        env0 = {"QT_QPA_PLATFORM": "offscreen"}
        variants: dict[str, tuple[list[str], dict[str, str]]] = {
            "plain python": ([sys.executable, script], {})}
        for label, folder in builds.items():
            for loop in ("qt", "asyncio"):
                argv = [sys.executable, "-m", "loopviz", "run", "--trace",
                        str(root / f"{folder.name}-{loop}.loopviz"), "--loop", loop, script]
                variants[f"{label}, {loop} loop"] = (argv, {"PYTHONPATH": str(folder)})
        for argv, env in variants.values():  # warm-up: imports, caches
            scale.child(argv, {**env0, **env})
        runs: dict[str, list[scale.Run]] = {k: [] for k in variants}
        for _ in range(repeat):
            for k, (argv, env) in variants.items():
                runs[k].append(scale.child(argv, {**env0, **env}))
        plain = min(r.in_program for r in runs["plain python"])
        cpu0 = min(r.cpu for r in runs["plain python"])
        print(f"Python {sys.version.split()[0]}; churn, best of {repeat} interleaved; {TARGET}")
        for k, rs in runs.items():
            wall, cpu = min(r.in_program for r in rs), min(r.cpu for r in rs)
            print(f"  {k:40s} {wall:.3f} s {wall / plain:5.2f}x   cpu {cpu:.3f} s "
                  f"{cpu / cpu0:5.2f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    main()
