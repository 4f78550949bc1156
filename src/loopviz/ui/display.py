"""Can a window open here? Asked before the QApplication exists, because Qt's answer is an abort.

Without a display, or with one of the X client libraries Qt's xcb platform plugin links against
missing, ``QApplication()`` prints a paragraph and calls ``abort()`` (exit 134), naming the
plugin rather than the library. :func:`display_problem` asks the same questions first, cheaply
(``dlopen`` of the plugin, which loads every library it needs, and one ``xcb_connect``), and
says in one line what to install or to use ``xvfb-run``; the command line prints it and exits 2.

Only Linux's xcb path is checked: an explicit ``QT_QPA_PLATFORM`` other than xcb (offscreen in
tests, wayland, vnc, ...) and other operating systems are trusted to Qt.

The probe's connection is held until :func:`release_probe` (called once the QApplication exists):
an X server resets when its last client disconnects (Xvfb, so ``xvfb-run``, does by default),
and a connection made during the reset fails. Closing the probe before Qt connected made Qt
abort (exit 134) in about 1 run in 10 under ``xvfb-run``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import sys
from pathlib import Path

# The Debian/Ubuntu package of each library Qt's xcb plugin needs that a minimal system lacks.
DEBIAN_PACKAGES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-util.so.1": "libxcb-util1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
    "libX11-xcb.so.1": "libx11-xcb1",
}
# What the README's set-up installs: one command that brings every one of them at once.
ALL_PACKAGES = ("libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 "
                "libxcb-render-util0 libxcb-shape0 libegl1")
VIRTUAL_DISPLAY = "or use a virtual one: xvfb-run -a loopviz ... (package xvfb)"


def missing_library(error: str) -> str | None:
    """The shared library a ``dlopen`` error names (``libfoo.so.1: cannot open ...``)."""
    found = re.search(r"(lib[\w.+-]+\.so(?:\.\d+)*): cannot open shared object", error)
    return found.group(1) if found else None


def install_command(library: str) -> str:
    """The apt command that installs ``library`` and the rest of what Qt's xcb plugin needs
    (dlopen names only the first library missing; usually several are)."""
    packages = ALL_PACKAGES.split()
    package = DEBIAN_PACKAGES.get(library)
    if package is not None and package not in packages:
        packages.insert(0, package)
    return f"sudo apt-get update && sudo apt-get install -y {' '.join(packages)}"


def _xcb_plugin() -> Path:
    from PySide6.QtCore import QLibraryInfo

    return Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms" / \
        "libqxcb.so"


_held: list[tuple[ctypes.CDLL, int]] = []  # the probe's open connection (see the docstring)


def _x_display_reachable(display: str) -> bool:
    """Connect to ``display``; a connection that works is kept open until :func:`release_probe`."""
    name = ctypes.util.find_library("xcb")
    if name is None:
        return True  # the plugin loaded, so libxcb is there; let Qt report anything odd
    xcb = ctypes.CDLL(name)
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    conn = xcb.xcb_connect(display.encode(), None)
    if xcb.xcb_connection_has_error(conn) != 0:
        xcb.xcb_disconnect(conn)
        return False
    release_probe()
    _held.append((xcb, conn))
    return True


def release_probe() -> None:
    """Close the probe's connection, if one is open: call it once Qt has its own."""
    while _held:
        xcb, conn = _held.pop()
        xcb.xcb_disconnect(conn)


def display_problem(environ: dict[str, str] | None = None) -> str | None:
    """One line saying why no window can open here and what to do, or None if one can."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return None
    platform = env.get("QT_QPA_PLATFORM", "").split(":")[0]
    if platform and platform != "xcb":
        return None
    display = env.get("DISPLAY", "")
    if not display:
        if env.get("WAYLAND_DISPLAY") and not platform:
            return None  # Qt picks its wayland plugin
        return ("no display to open a window on (DISPLAY is not set): start loopviz from a "
                f"desktop session, {VIRTUAL_DISPLAY}")
    plugin = _xcb_plugin()
    if plugin.exists():
        try:
            ctypes.CDLL(str(plugin))
        except OSError as exc:
            library = missing_library(str(exc))
            if library is None:
                return f"Qt's X11 support cannot load: {exc}"
            package = DEBIAN_PACKAGES.get(library)
            named = f"{library} (package {package})" if package else library
            return (f"Qt's X11 support needs {named}, which is not installed; on "
                    f"Debian/Ubuntu: {install_command(library)}")
    if not _x_display_reachable(display):
        return f"cannot connect to the X display {display!r}: check DISPLAY, {VIRTUAL_DISPLAY}"
    return None
