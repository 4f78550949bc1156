"""TimelineItem: the one pyqtgraph GraphicsObject that paints every lane (STYLE.md #6, #7).

Data coordinates: x in seconds, y in rows (row r spans [r, r + 1); the view inverts y so row 0
is on top). ``paint`` asks the model for the segments overlapping the visible window only, moves
them to device pixels with numpy (so sub-pixel segments still show and hatches stay aligned to
the screen), merges segments that share a pixel, and issues one ``drawRects`` per colour with
antialiasing off. When many visible segments are a few pixels wide (a dense view), those are
aggregated per pixel into a raster drawn under the wider ones ("mixed"); above
``RASTER_THRESHOLD`` visible segments everything is rasterised (hatches are dropped there: at
that density a pixel holds many segments anyway).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import internals
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen, QPixmap, QPolygonF

from loopviz.ui.palette import LIGHT, OUTCOME_GLYPHS, STATE_KEYS, Palette, fill_brush, hatch_brush
from loopviz.ui.timeline.alert import paint_alert
from loopviz.ui.timeline.layout import OUTCOME_CODES, TimelineModel
from loopviz.ui.timeline.raster import (
    DRAW_ORDER,
    RASTER_THRESHOLD,
    merge_subpixel,
    rasterize,
    to_pixels,
)

BAR = 0.16  # empty fraction of a row above and below its bar
EMPHASISED = frozenset(STATE_KEYS.index(k) for k in ("running", "ready", "blocked"))
SEPARATED = frozenset(STATE_KEYS.index(k) for k in ("job", "queued"))  # one bar per job
NAME_MIN_PX = 40  # a job narrower than this shows no name
MAX_NAMES = 400  # more named jobs in view than this: names would be noise (and slow)
THIN_RASTER = 2000  # more narrow segments than this: aggregate them per pixel
HATCH_MIN_PX = 8  # narrower rectangles get their fill only
NARROW_PX = 4  # narrower than this, a hatch cannot show: a raster cell does as well as a rect


class TimelineItem(pg.GraphicsObject):
    """Paints a :class:`TimelineModel`. Call ``refresh()`` after the model changed.

    Invariant: ``boundingRect()`` covers every row and the whole trace duration (plus room for
    the outcome glyphs after the last end), so pyqtgraph's culling and auto-range see it all.
    """

    def __init__(self, model: TimelineModel) -> None:
        super().__init__()
        self.model = model
        self.palette: Palette = LIGHT
        self.scale = 1.0  # presentation multiplier for strokes and glyphs
        self.selected_key: int | None = None
        self.raster_threshold = RASTER_THRESHOLD
        self.last_paint_s = 0.0
        self.last_mode = ""  # "vector" | "raster" (what the last paint used; benchmarks)
        self._bounds = QRectF(0, 0, 1, 1)
        self._rects = internals.PrimitiveArray(QRectF, 4)
        self._brushes: dict[int, tuple[QBrush, QBrush | None]] = {}
        self._glyphs: dict[tuple[int, int], QPixmap] = {}
        self.set_palette(LIGHT)
        # paint() reads the exposed rectangle: a partial update paints only its span
        self.setFlag(self.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    # ---- data ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """The model changed: new bounds, repaint, tell the view (STYLE.md #7).

        A live run grows at its right end: the bounds grow in steps (by half), and only the
        span the model says changed (``model.dirty``) is repainted, so a frame costs what it
        added rather than the whole view."""
        end = max(self.model.now, 1e-3)
        right = self._bounds.right()
        if not end * 1.02 <= right <= max(3.0 * end, 1e-3):
            right = end * (1.5 if self.model.dirty is not None else 1.02)
        bounds = QRectF(0.0, 0.0, right, max(len(self.model.rows), 1))
        dirty = self.model.dirty
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds
            self.informViewBoundsChanged()
            self.update()
        elif dirty is None:
            self.update()
        else:
            px = self.pixelWidth() or 0.0  # seconds per device pixel
            lo = dirty[0] - 4 * px
            hi = dirty[1] + (48 * self.scale + 4) * px  # outcome glyphs sit after an end
            self.update(QRectF(lo, bounds.top(), max(hi - lo, px), bounds.height()))

    def set_palette(self, palette: Palette) -> None:
        self.palette = palette
        self._brushes = {i: (fill_brush(palette.style(k)), hatch_brush(palette.style(k)))
                         for i, k in enumerate(STATE_KEYS)}
        self._glyphs.clear()
        self.update()

    def set_scale(self, scale: float) -> None:
        self.scale = scale
        self._glyphs.clear()
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(self._bounds)

    def dataBounds(self, axis: int, frac: float = 1.0, orthoRange: object = None) -> tuple:  # noqa: N803 (pyqtgraph name)
        r = self._bounds
        return (r.left(), r.right()) if axis == 0 else (r.top(), r.bottom())

    # ---- painting --------------------------------------------------------------------------
    def paint(self, p: QPainter, *args: object) -> None:
        t_start = time.perf_counter()
        view = self.viewRect()
        if view is None or not len(self.model.rows):
            return
        t = p.transform()
        sx, sy, ox, oy = t.m11(), t.m22(), t.dx(), t.dy()
        if sx <= 0:
            return
        xmin, xmax = view.left(), view.right()
        option = args[0] if args else None
        exposed = getattr(option, "exposedRect", None)
        if exposed is not None and not exposed.isEmpty():
            xmin, xmax = max(xmin, exposed.left()), min(xmax, exposed.right())
            if xmax <= xmin:
                return
        # on a device pixel's edge, so a partial repaint lands on the same pixels as a full one
        xmin = (math.floor(xmin * sx + ox) - ox) / sx
        ymin, ymax = min(view.top(), view.bottom()), max(view.top(), view.bottom())
        rmin, rmax = max(0, math.floor(ymin)), min(len(self.model.rows) - 1, math.ceil(ymax))
        width = max(1, math.ceil((xmax - xmin) * sx))
        base = xmin * sx + ox  # device x of xmin
        p.save()
        try:
            p.resetTransform()
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            p.setPen(Qt.PenStyle.NoPen)
            self._paint_lanes(p, rmin, rmax, base, width, sy, oy)
            seg, rows = self.model.visible(xmin, xmax, rmin, rmax, px_s=1.0 / sx)
            if len(seg):
                p0, p1 = to_pixels(seg.x0, seg.x1, xmin, sx, width)
                thin = (p1 - p0) < NARROW_PX
                if len(seg) > self.raster_threshold:
                    self.last_mode = "raster"
                    self._paint_raster(p, p0, p1, rows, seg.state, rmin, rmax, base, width,
                                       sy, oy)
                elif thin.sum() > THIN_RASTER:
                    self.last_mode = "mixed"
                    self._paint_raster(p, p0[thin], p1[thin], rows[thin], seg.state[thin], rmin,
                                       rmax, base, width, sy, oy)
                    wide = ~thin
                    self._paint_vector(p, p0[wide], p1[wide], rows[wide], seg.state[wide], base,
                                       width, sy, oy)
                else:
                    self.last_mode = "vector"
                    self._paint_vector(p, p0, p1, rows, seg.state, base, width, sy, oy)
                self._paint_names(p, p0, p1, rows, seg.state, seg.ref, base, sy, oy)
            self._paint_arrows(p, xmin, xmax, rmin, rmax, sx, ox, sy, oy)
            self._paint_markers(p, xmin, xmax, rmin, rmax, sx, ox, sy, oy)
            self._paint_alerts(p, xmin, xmax, rmin, rmax, sx, ox, sy, oy)
        finally:
            p.restore()
        self.last_paint_s = time.perf_counter() - t_start

    def _row_band(self, rows: np.ndarray | int, sy: float, oy: float,
                  pad: float = BAR) -> tuple[np.ndarray, float]:
        """Device top of each row's bar and the bar's height."""
        a = (np.asarray(rows, np.float64) + pad) * sy + oy
        b = (np.asarray(rows, np.float64) + 1 - pad) * sy + oy
        return np.minimum(a, b), float(abs(sy) * (1 - 2 * pad))

    def _paint_lanes(self, p: QPainter, rmin: int, rmax: int, base: float, width: int,
                     sy: float, oy: float) -> None:
        pal = self.palette
        stripe, sel = QColor(pal.stripe), QColor(pal.selection)
        tops, h = self._row_band(np.arange(rmin, rmax + 1), sy, oy, pad=0.0)
        edge = QColor(pal.foreground)
        for r, top in zip(range(rmin, rmax + 1), tops, strict=True):
            lane = self.model.rows[r]
            if lane.key == self.selected_key:
                p.fillRect(QRectF(base, top, width, h), sel)
                p.fillRect(QRectF(base, top, width, 1.5 * self.scale), edge)
                p.fillRect(QRectF(base, top + h - 1.5 * self.scale, width, 1.5 * self.scale), edge)
            elif r % 2:
                p.fillRect(QRectF(base, top, width, h), stripe)
        n_threads = self.model.n_thread_rows
        if 0 < n_threads < len(self.model.rows) and rmin <= n_threads <= rmax + 1:
            y = n_threads * sy + oy
            p.fillRect(QRectF(base, y - self.scale, width, 2 * self.scale), QColor(pal.muted))

    def _fill(self, p: QPainter, p0: np.ndarray, p1: np.ndarray, tops: np.ndarray, h: float,
              base: float, brushes: tuple[QBrush, QBrush | None]) -> None:
        fill, hatch = brushes
        self._draw_rects(p, base + p0, tops, p1 - p0, h, fill)
        if hatch is not None:  # a hatch needs room to show: skip it on narrow rectangles
            wide = (p1 - p0) >= HATCH_MIN_PX
            if wide.any():
                self._draw_rects(p, base + p0[wide], tops[wide], (p1 - p0)[wide], h, hatch)

    def _draw_rects(self, p: QPainter, x: np.ndarray, y: np.ndarray, w: np.ndarray, h: float,
                    brush: QBrush) -> None:
        """One ``drawRects`` for many rectangles, straight from numpy (no QRectF objects)."""
        self._rects.resize(len(x))
        arr = self._rects.ndarray()
        arr[:, 0] = x
        arr[:, 1] = y
        arr[:, 2] = w
        arr[:, 3] = h
        p.setBrush(brush)
        p.drawRects(*self._rects.drawargs())

    def _paint_vector(self, p: QPainter, p0: np.ndarray, p1: np.ndarray, rows: np.ndarray,
                      states: np.ndarray, base: float, width: int, sy: float, oy: float) -> None:
        for code in DRAW_ORDER:
            sel = states == code
            if not sel.any():
                continue
            a, b, r = merge_subpixel(p0[sel], p1[sel], rows[sel], width)
            if code in EMPHASISED:  # a 1-px step is easy to miss on a projector
                b = np.maximum(b, a + 2)
            elif code in SEPARATED:  # back-to-back jobs on a worker: one bar each, not one
                b = np.where(b - a >= 4, b - max(1, round(self.scale)), b)
            tops, h = self._row_band(r, sy, oy)
            self._fill(p, a, b, tops, h, base, self._brushes[code])

    def _paint_names(self, p: QPainter, p0: np.ndarray, p1: np.ndarray, rows: np.ndarray,
                     states: np.ndarray, refs: np.ndarray, base: float, sy: float,
                     oy: float) -> None:
        """The function's name inside each executor job and queued job wide enough for it
        (``legacy_report``, ``read_config``): which job is which, without hovering."""
        trace = self.model.trace
        named = np.isin(states, list(SEPARATED)) & ((p1 - p0) >= NAME_MIN_PX * self.scale)
        if trace is None or not named.any() or named.sum() > MAX_NAMES:
            return
        font = QFont()
        font.setPixelSize(max(8, int(abs(sy) * (1 - 2 * BAR) * 0.55)))
        p.setFont(font)
        metrics = p.fontMetrics()
        p.setPen(QColor("#000000") if not self.palette.dark else QColor("#ffffff"))
        tops, h = self._row_band(rows[named], sy, oy)
        jobs = trace.jobs
        for a, b, top, ref in zip(p0[named], p1[named], tops, refs[named], strict=True):
            name = jobs[int(ref)].function.rsplit(".", 1)[-1]
            room = float(b - a) - 8 * self.scale
            text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, int(room))
            if text and text != "…":
                p.drawText(QRectF(base + a + 4 * self.scale, top, room, h),
                           Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)

    def _paint_alerts(self, p: QPainter, xmin: float, xmax: float, rmin: int, rmax: int,
                      sx: float, ox: float, sy: float, oy: float) -> None:
        """A warning mark at each diagnostic's instant, on its lane."""
        alerts = self.model.alerts
        if not len(alerts):
            return
        vis = alerts[(alerts[:, 0] >= xmin) & (alerts[:, 0] <= xmax)]
        rows = self.model.row_of_key[vis[:, 1].astype(np.int64)]
        ok = (rows >= rmin) & (rows <= rmax)
        if not ok.any() or ok.sum() > 2000:
            return
        size = min(max(abs(sy) * 0.62, 9.0), 30.0)
        px = np.round(vis[ok, 0] * sx + ox)
        for x, r in {(float(x), int(r)) for x, r in zip(px, rows[ok], strict=True)}:
            top = min(r * sy + oy, (r + 1) * sy + oy) + (abs(sy) - size) / 2
            paint_alert(p, x, top, size, self.scale)

    def _paint_raster(self, p: QPainter, p0: np.ndarray, p1: np.ndarray, rows: np.ndarray,
                      states: np.ndarray, rmin: int, rmax: int, base: float, width: int,
                      sy: float, oy: float) -> None:
        n_rows = rmax - rmin + 1
        grid = rasterize(p0, p1, rows, states, rmin, n_rows, width)
        lut = np.zeros(len(STATE_KEYS) + 1, np.uint32)  # index -1 (last): transparent
        for i, key in enumerate(STATE_KEYS):
            lut[i] = QColor(self.palette.style(key).fill).rgba()
        pixels = np.ascontiguousarray(lut[grid])
        image = QImage(pixels.data, width, n_rows, width * 4, QImage.Format.Format_ARGB32)
        tops, h = self._row_band(np.arange(rmin, rmax + 1), sy, oy)
        for i, top in enumerate(tops):
            p.drawImage(QRectF(base, top, width, h), image, QRectF(0, i, width, 1))

    def _paint_arrows(self, p: QPainter, xmin: float, xmax: float, rmin: int, rmax: int,
                      sx: float, ox: float, sy: float, oy: float) -> None:
        arrows = self.model.arrows
        if not len(arrows):
            return
        vis = arrows[(arrows[:, 0] >= xmin) & (arrows[:, 0] <= xmax)]
        if not len(vis):
            return
        src = self.model.row_of_key[vis[:, 1].astype(np.int64)]
        dst = self.model.row_of_key[vis[:, 2].astype(np.int64)]
        ok = (src >= 0) & (dst >= 0) & (src != dst) & \
            (np.minimum(src, dst) <= rmax) & (np.maximum(src, dst) >= rmin)
        if not ok.any() or ok.sum() > 5000:
            return
        x = vis[ok, 0] * sx + ox
        src, dst = src[ok].astype(np.float64), dst[ok].astype(np.float64)
        down = dst > src
        y0 = (src + np.where(down, 1 - BAR, BAR)) * sy + oy
        y1 = (dst + np.where(down, BAR, 1 - BAR)) * sy + oy
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        colour = QColor(self.palette.arrow)
        p.setPen(QPen(colour, 1.4 * self.scale))
        p.drawLines([QLineF(a, b, a, c) for a, b, c in zip(x, y0, y1, strict=True)])
        if len(x) <= 2000:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            s = 4.0 * self.scale
            for a, c, d in zip(x, y1, down, strict=True):
                tip = s if d else -s  # the head points along the arrow, into the target lane
                p.drawPolygon(QPolygonF([QPointF(a, c), QPointF(a - s, c - 1.8 * tip),
                                         QPointF(a + s, c - 1.8 * tip)]))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _glyph(self, outcome: int, size: int) -> QPixmap:
        cached = self._glyphs.get((outcome, size))
        if cached is not None:
            return cached
        pix = QPixmap(size, size)
        pix.fill(Qt.GlobalColor.transparent)
        gp = QPainter(pix)
        gp.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        gp.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        font = QFont()
        font.setPixelSize(size)
        font.setBold(True)
        gp.setFont(font)
        name = OUTCOME_CODES[outcome]
        gp.setPen(QColor(self.palette.outcomes[name]))
        gp.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, OUTCOME_GLYPHS[name])
        gp.end()
        self._glyphs[(outcome, size)] = pix
        return pix

    def _paint_markers(self, p: QPainter, xmin: float, xmax: float, rmin: int, rmax: int,
                       sx: float, ox: float, sy: float, oy: float) -> None:
        m = self.model.markers
        if not len(m):
            return
        m = m[(m[:, 0] >= xmin - 0.05 * (xmax - xmin)) & (m[:, 0] <= xmax)]
        rows = self.model.row_of_key[m[:, 1].astype(np.int64)]
        ok = (rows >= rmin) & (rows <= rmax)
        if not ok.any() or ok.sum() > 3000:
            return
        size = int(min(max(abs(sy) * 0.8, 9), 40))
        for x, r, code in zip(m[ok, 0], rows[ok], m[ok, 2].astype(int), strict=True):
            top = min(r * sy + oy, (r + 1) * sy + oy) + (abs(sy) - size) / 2
            p.drawPixmap(QPointF(x * sx + ox + 2 * self.scale, top), self._glyph(code, size))
