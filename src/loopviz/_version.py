"""loopviz's version, in a module of its own: the package metadata (pyproject.toml) reads it,
and modules below the top-level package (``recording`` writes it into every trace) import it
without importing ``loopviz`` itself, whose ``record()`` imports them."""

__version__ = "0.1.0"
