"""The one error every trace file reader raises."""


class TraceFileError(ValueError):
    """A file that is not a readable, well-formed loopviz trace (message: one line)."""
