"""A stall inside code that lives in loopviz's package (as the app's own first paint does)."""

import asyncio
import os

import loopviz

_PKG = os.path.dirname(loopviz.__file__)
_source = "import time\ndef repaint_everything():\n    time.sleep(0.3)\n"
_namespace: dict = {}
exec(compile(_source, os.path.join(_PKG, "ui", "pretend_repaint.py"), "exec"), _namespace)


async def main():
    # Scheduled as a plain callback: when it runs, no frame of this program is on the stack
    # (as when the app repaints between two of the program's steps).
    asyncio.get_running_loop().call_later(0.05, _namespace["repaint_everything"])
    await asyncio.sleep(0.5)
