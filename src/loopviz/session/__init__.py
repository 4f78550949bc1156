"""One run of one target: instrumentation on, main as a task, time limit, cleanup."""

from loopviz.session.headless import close_loop, new_loop, run_headless
from loopviz.session.plugins import new_session
from loopviz.session.program import TargetError
from loopviz.session.runner import RunResult, ScriptExit, Session
from loopviz.session.targets import Target, general_findings, load_script, resolve

__all__ = ["RunResult", "ScriptExit", "Session", "Target", "TargetError", "close_loop",
           "general_findings", "load_script", "new_loop", "new_session", "resolve",
           "run_headless"]
