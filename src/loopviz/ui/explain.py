"""The explanation panel: what the selected demo teaches, what to look for, its C# twin.

A read-only rich-text view, rebuilt whenever the selection changes. For a user's script it
says what loopviz will show; for an opened trace file, where the trace came from. The HTML is
built by pure functions (``demo_html``, ``script_html``, ``trace_html``) so tests read them
without a window, and every piece of text from a demo or file is escaped.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QTextBrowser, QWidget

from loopviz.demos import Demo

_VARIANT_WORDS = {"pitfall": "Pitfall", "fixed": "Fixed", "default": "Default"}


def demo_html(demo: Demo, variant: str | None = None) -> str:
    variants = " / ".join(_VARIANT_WORDS.get(v, v) for v in demo.variants)
    showing = f" — showing <b>{escape(_VARIANT_WORDS.get(variant, variant))}</b>" if (
        variant and len(demo.variants) > 1) else ""
    return (
        f"<h2 style='margin-bottom:2px'>{escape(demo.title)}</h2>"
        f"<p style='color:palette(mid)'>{escape(demo.category)} · {escape(variants)}{showing}</p>"
        f"<p><b>{escape(demo.summary)}</b></p>"
        f"<p>{escape(demo.explanation)}</p>"
        f"<h3 style='margin-bottom:2px'>The C# twin</h3><p>{escape(demo.csharp)}</p>"
    )


def script_html(path: str) -> str:
    return (
        f"<h2>{escape(Path(path).name)}</h2>"
        f"<p style='color:palette(mid)'>{escape(path)}</p>"
        "<p>Your own script: press <b>Run</b> (F5) to start its <code>async def main()</code> "
        "on the UI thread. Every task it creates gets a lane; blocking calls show up red on "
        "the UI lane and in the responsiveness chart.</p>"
    )


def _table(rows: list[tuple[str, str]]) -> str:
    """A two-column key/value table's rows, escaped."""
    return "".join(f"<tr><td style='padding-right:12px'>{escape(k)}</td>"
                   f"<td>{escape(v)}</td></tr>" for k, v in rows)


def trace_html(path: str, meta: dict[str, Any]) -> str:
    target = meta.get("target") or "unknown target"
    variant = meta.get("variant")
    rows = [("target", f"{target}" + (f" ({variant})" if variant else "")),
            ("recorded", str(meta.get("started_at", "?"))),
            ("python", str(meta.get("python", "?"))),
            ("loop", str(meta.get("loop", "?"))),
            ("loopviz", str(meta.get("loopviz", "?")))]
    table = _table(rows)
    return (
        f"<h2>{escape(Path(path).name)}</h2>"
        "<p><b>A saved trace, opened read-only.</b> Zoom, pan and select tasks as in a live "
        "run; pick a demo and press Run to record a new one.</p>"
        f"<table>{table}</table>"
    )


def attached_html(address: str, meta: dict[str, Any]) -> str:
    """What the window shows while it watches a program from outside."""
    served = meta.get("served") or {}
    target = meta.get("target") or "a program"
    keep = served.get("keep_last_s")
    rows = [("program", f"{target} (pid {served.get('pid', '?')})"), ("serving at", address),
            ("started", str(meta.get("started_at", "?"))),
            ("keeps", f"the last {keep:g} s" if keep else "everything"),
            ("python", str(meta.get("python", "?"))), ("loop", str(meta.get("loop", "?"))),
            ("loopviz", str(served.get("loopviz", "?")))]
    table = _table(rows)
    return (
        f"<h2>{escape(Path(str(target)).name)}</h2>"
        "<p><b>A running program, watched from outside.</b> The timeline began with what it "
        "kept of its recent past and follows it live; press Esc to detach (the program goes "
        "on), then save what was received.</p>"
        f"<table>{table}</table>"
    )


class ExplanationView(QTextBrowser):
    """Shows one of the HTML pages above; links open externally."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenExternalLinks(True)
        self.setReadOnly(True)

    def show_demo(self, demo: Demo, variant: str | None = None) -> None:
        self.setHtml(demo_html(demo, variant))

    def show_script(self, path: str) -> None:
        self.setHtml(script_html(path))

    def show_trace(self, path: str, meta: dict[str, Any]) -> None:
        self.setHtml(trace_html(path, meta))
