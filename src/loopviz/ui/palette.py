"""State colours: what running, ready, waiting (by kind), blocked... look like in every view.

One table so the timeline, its legend, the code view and the exports agree. Colours come from the
Okabe–Ito set (distinguishable with the common colour-vision deficiencies); the waiting kinds are
light tints that also differ by *pattern* (Qt brush hatches), so they never rely on hue alone.
Light and dark variants keep the same hues: only the tints are mixed towards the background.

Keys (``STATE_KEYS``): ``running``, ``ready``, ``late`` (a timer past its due time whose
callback has not run: ready's colour, striped), ``wait:<kind>`` for every ``WAIT_KINDS`` entry,
``blocked``, ``job`` (executor work on a worker lane), ``queued`` (a job waiting for a free
worker), ``callback`` (a plain loop callback), ``loopviz`` (the visualiser's own work: neutral
grey). Outcomes: ``result``, ``exception``,
``cancelled``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from loopviz.trace.records import WAIT_KINDS

if TYPE_CHECKING:  # the tables are pure data: the Qt-free timeline layout imports STATE_KEYS
    from PySide6.QtGui import QBrush, QPalette

# Okabe & Ito (2008), "Color Universal Design".
ORANGE, SKY, GREEN, YELLOW = "#e69f00", "#56b4e9", "#009e73", "#f0e442"
BLUE, VERMILLION, PURPLE, GREY = "#0072b2", "#d55e00", "#cc79a7", "#999999"

STATE_KEYS: tuple[str, ...] = (
    "running", "ready", "late", *(f"wait:{k}" for k in WAIT_KINDS), "blocked", "job", "queued",
    "callback", "loopviz",
)
OUTCOME_GLYPHS: dict[str, str] = {"result": "✓", "exception": "✗", "cancelled": "⊘"}

# (base hue, pattern) per waiting kind: the fill is a tint of the hue, the hatch the hue itself.
_WAIT_LOOK: dict[str, tuple[str, str]] = {
    "sleep": (SKY, "solid"),
    "task": (SKY, "bdiag"),
    "future": (PURPLE, "fdiag"),
    "executor": (GREEN, "diagcross"),
    "queue": (YELLOW, "hor"),
    "lock": (BLUE, "cross"),
    "semaphore": (BLUE, "ver"),
    "event": (PURPLE, "dots"),
    "other": (GREY, "dots"),
    "socket": (ORANGE, "fdiag"),
    "stream": (ORANGE, "hor"),
    "pipe": (ORANGE, "ver"),
    "subprocess": (VERMILLION, "bdiag"),
}
_LABELS: dict[str, str] = {
    "running": "running", "ready": "ready (waiting for the loop)",
    "late": "late (timer due, the loop busy)", "blocked": "blocked",
    "job": "executor job", "queued": "queued for a worker", "callback": "loop callback",
    "loopviz": "loopviz (own work)",
}
# Pattern name -> Qt.BrushStyle member name.
_QT_PATTERNS: dict[str, str] = {
    "solid": "SolidPattern", "bdiag": "BDiagPattern", "fdiag": "FDiagPattern",
    "diagcross": "DiagCrossPattern", "hor": "HorPattern", "ver": "VerPattern",
    "cross": "CrossPattern", "dots": "Dense6Pattern",
}


@dataclass(frozen=True, slots=True)
class StateStyle:
    """How one state is painted: ``fill`` everywhere, then ``hatch`` drawn over it with
    ``pattern`` unless the pattern is ``solid``."""

    key: str
    label: str
    fill: str
    hatch: str
    pattern: str


@dataclass(frozen=True, slots=True)
class Palette:
    """Every colour the timeline paints, for one of light or dark."""

    dark: bool
    background: str
    foreground: str
    muted: str  # secondary text, lane separators
    stripe: str  # every other lane's background
    selection: str  # the selected lane's band
    arrow: str
    now: str
    cursor: str
    states: dict[str, StateStyle]
    outcomes: dict[str, str]

    def style(self, key: str) -> StateStyle:
        return self.states[key]


def mix(a: str, b: str, t: float) -> str:
    """``a`` moved towards ``b`` by ``t`` (0 = a, 1 = b), as ``#rrggbb``."""
    ra, rb = _rgb(a), _rgb(b)
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ra, rb, strict=True))


def _rgb(colour: str) -> tuple[int, int, int]:
    h = colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def state_key(state: str, kind: str = "") -> str:
    """The palette key of a trace state (``Segment.state`` plus its wait ``kind``)."""
    return f"wait:{kind or 'other'}" if state == "waiting" else state


def make_palette(dark: bool, contrast: bool = False) -> Palette:
    """The light or dark palette; ``contrast`` (presentation mode) pushes text to black or
    white, waiting fills nearer their hue, and lane stripes and separators darker, so a
    projector's washed-out picture still tells every state apart."""
    bg = ("#000000" if contrast else "#1e1f22") if dark else "#ffffff"
    fg = ("#ffffff" if contrast else "#e6e6e6") if dark else ("#000000" if contrast else "#1a1a1a")
    tint = (0.55 if dark else 0.62) * (0.7 if contrast else 1.0)  # waiting fill -> background
    states: dict[str, StateStyle] = {
        "running": StateStyle("running", _LABELS["running"], SKY if dark else BLUE,
                              SKY if dark else BLUE, "solid"),
        "ready": StateStyle("ready", _LABELS["ready"], ORANGE, ORANGE, "solid"),
        # due but not yet run: the ready colour, striped, so it reads as "should be running"
        "late": StateStyle("late", _LABELS["late"], ORANGE, mix(VERMILLION, "#000000", 0.35),
                           "bdiag"),
    }
    for kind, (hue, pattern) in _WAIT_LOOK.items():
        hatch = mix(hue, fg, 0.25) if dark else mix(hue, "#000000", 0.15)
        states[f"wait:{kind}"] = StateStyle(f"wait:{kind}", f"waiting: {kind}",
                                            mix(hue, bg, tint), hatch, pattern)
    states["blocked"] = StateStyle("blocked", _LABELS["blocked"], VERMILLION, VERMILLION, "solid")
    states["job"] = StateStyle("job", _LABELS["job"], GREEN, GREEN, "solid")
    states["queued"] = StateStyle("queued", _LABELS["queued"], mix(GREEN, bg, tint),
                                  mix(GREEN, "#000000", 0.2), "fdiag")
    states["callback"] = StateStyle("callback", _LABELS["callback"], PURPLE, PURPLE, "solid")
    grey = "#7d7d7d" if dark else "#a6a6a6"
    states["loopviz"] = StateStyle("loopviz", _LABELS["loopviz"], grey, grey, "solid")
    return Palette(
        dark=dark, background=bg, foreground=fg,
        muted=("#b0b3b8" if contrast else "#8a8d93") if dark else
        ("#3c3c3c" if contrast else "#6b6b6b"),
        stripe=("#1c1c1c" if contrast else "#25272b") if dark else
        ("#ebedf0" if contrast else "#f4f6f8"),
        # neutral, so it never reads as a state (the sleep tint is a light blue)
        selection="#404040" if dark else "#e4e4e4",
        arrow=("#ffffff" if contrast else "#d0d0d0") if dark else
        ("#000000" if contrast else "#333333"),
        now=VERMILLION, cursor=YELLOW if dark else "#000000",
        states=states,
        outcomes={"result": GREEN if not dark else "#33c29a", "exception": VERMILLION,
                  "cancelled": "#b0b0b0" if dark else "#555555"},
    )


LIGHT = make_palette(False)
DARK = make_palette(True)
LIGHT_CONTRAST = make_palette(False, contrast=True)
DARK_CONTRAST = make_palette(True, contrast=True)


def palette_for(qpalette: QPalette | None = None, contrast: bool = False) -> Palette:
    """The palette matching a Qt palette (default: the application's): dark when its window
    colour is dark, so the timeline follows the system like every other view; ``contrast``:
    its high-contrast twin (presentation mode)."""
    from PySide6.QtGui import QGuiApplication, QPalette

    if qpalette is None:
        app = QGuiApplication.instance()
        qpalette = app.palette() if isinstance(app, QGuiApplication) else QPalette()
    dark = qpalette.color(QPalette.ColorRole.Window).lightness() < 128
    if contrast:
        return DARK_CONTRAST if dark else LIGHT_CONTRAST
    return DARK if dark else LIGHT


def fill_brush(style: StateStyle) -> QBrush:
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(style.fill))


def hatch_brush(style: StateStyle) -> QBrush | None:
    """The pattern drawn over the fill, or None for solid states."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QBrush, QColor

    if style.pattern == "solid":
        return None
    return QBrush(QColor(style.hatch), getattr(Qt.BrushStyle, _QT_PATTERNS[style.pattern]))
