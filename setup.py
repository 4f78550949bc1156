"""Only the optional C speedups live here; everything else is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        # The per-step hot path of the instrumentation (see the file's header). optional: a
        # machine without a C compiler still installs loopviz and runs the pure-Python path.
        Extension("loopviz._speedups", ["src/loopviz/_speedups.c"],
                  optional=True),
    ],
)
