"""What the app remembers between sessions: window geometry, splitter sizes, the last demo and
its variant, presentation mode and the folders last used for files.

Why a wrapper around ``QSettings``: the window asks for meaning ("last demo"), not for keys, and
tests hand it a ``QSettings`` on a temporary ini file so they never touch the user's settings.
Every getter tolerates a missing or mistyped value (an old or hand-edited settings file) and
falls back to its default: remembering is a convenience, never a reason to fail at start-up.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "loopviz"
APPLICATION = "loopviz"


def _as_int_list(value: object) -> list[int]:
    if isinstance(value, (list, tuple)):
        try:
            return [int(v) for v in value]
        except (TypeError, ValueError):
            return []
    if isinstance(value, str) and value:
        try:
            return [int(v) for v in value.split(",")]
        except ValueError:
            return []
    return []


class AppSettings:
    """Typed access to the app's QSettings. Invariant: a value read back is either what was
    last written under that name or the documented default, never an exception."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings if qsettings is not None else QSettings(ORGANIZATION, APPLICATION)

    # ---- window layout ---------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        value = self.q.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_geometry(self, data: QByteArray) -> None:
        self.q.setValue("window/geometry", data)

    def window_state(self) -> QByteArray | None:
        value = self.q.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_state(self, data: QByteArray) -> None:
        self.q.setValue("window/state", data)

    def splitter_sizes(self, name: str) -> list[int]:
        """Sizes saved for the splitter called ``name``; [] when none (use the defaults)."""
        return _as_int_list(self.q.value(f"splitters/{name}"))

    def set_splitter_sizes(self, name: str, sizes: list[int]) -> None:
        self.q.setValue(f"splitters/{name}", ",".join(str(int(s)) for s in sizes))

    # ---- what was open ---------------------------------------------------------------------
    def last_demo(self) -> str | None:
        value = self.q.value("session/last_demo")
        return value if isinstance(value, str) and value else None

    def set_last_demo(self, demo_id: str) -> None:
        self.q.setValue("session/last_demo", demo_id)

    def last_variant(self) -> str | None:
        value = self.q.value("session/last_variant")
        return value if isinstance(value, str) and value else None

    def set_last_variant(self, variant: str) -> None:
        self.q.setValue("session/last_variant", variant)

    def last_attach(self) -> str | None:
        """Where the last program the user attached to served its trace (HOST:PORT)."""
        value = self.q.value("session/last_attach")
        return value if isinstance(value, str) and value else None

    def set_last_attach(self, address: str) -> None:
        self.q.setValue("session/last_attach", address)

    def last_dir(self, purpose: str) -> str:
        value = self.q.value(f"files/{purpose}_dir")
        return value if isinstance(value, str) else ""

    def set_last_dir(self, purpose: str, directory: str) -> None:
        self.q.setValue(f"files/{purpose}_dir", directory)

    # ---- view options ------------------------------------------------------------------------
    def presentation(self) -> bool:
        value = self.q.value("view/presentation", False)
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return bool(value)

    def set_presentation(self, on: bool) -> None:
        self.q.setValue("view/presentation", bool(on))

    def presentation_panels(self, default: frozenset[str]) -> set[str]:
        """The panels a presentation shows (View › Presentation panels)."""
        value = self.q.value("view/presentation_panels", None)
        if isinstance(value, str):
            value = [v for v in value.split(",") if v]
        return set(value) if isinstance(value, list) else set(default)

    def set_presentation_panels(self, panels: set[str]) -> None:
        self.q.setValue("view/presentation_panels", ",".join(sorted(panels)))

    def run_timeout_s(self) -> float:
        """The time limit of a run started from the window (a runaway demo is cancelled)."""
        try:
            value = self.q.value("run/timeout_s", 60.0)
            return max(1.0, float(value if isinstance(value, str | int | float) else 60.0))
        except (TypeError, ValueError):
            return 60.0

    def sync(self) -> None:
        self.q.sync()


def restore_layout(window: Any, settings: AppSettings, defaults: dict[str, list[int]]) -> None:
    """Geometry, dock state and the sizes of ``window.splitters`` (by name), or defaults."""
    if (geometry := settings.geometry()) is not None:
        window.restoreGeometry(geometry)
    else:
        window.resize(1600, 950)
    if (state := settings.window_state()) is not None:
        window.restoreState(state)
    for name, splitter in window.splitters.items():
        sizes = settings.splitter_sizes(name)
        ok = len(sizes) == splitter.count() and all(x > 0 for x in sizes)
        splitter.setSizes(sizes if ok else defaults[name])


def save_layout(window: Any, settings: AppSettings) -> None:
    settings.set_geometry(window.saveGeometry())
    settings.set_window_state(window.saveState())
    for name, splitter in window.splitters.items():
        settings.set_splitter_sizes(name, splitter.sizes())
    settings.sync()
