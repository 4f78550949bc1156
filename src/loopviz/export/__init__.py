"""Trace files: the native format (save/load) and Chrome Trace Event JSON for Perfetto."""

from loopviz.export.chrome import chrome_events, export_chrome_trace, save_chrome_trace
from loopviz.export.native import TraceFileError, load_trace, save_trace, trace_from_dict

__all__ = ["TraceFileError", "chrome_events", "export_chrome_trace", "load_trace",
           "save_chrome_trace", "save_trace", "trace_from_dict"]
