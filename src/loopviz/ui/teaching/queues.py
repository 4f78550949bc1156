"""The loop's queues at the cursor, drawn the way event-loop teaching tools draw them: boxes
for what runs now, the ready queue, the timer heap, tasks waiting on other things, and the
executor, with one chip per entry. Replay or scrubbing redraws it at every instant, so tasks
visibly move from the timer heap to the ready queue to "running".

What is in each box is :func:`loopviz.trace.queues.loop_queues` (pure, tested); this widget only
paints it, in the timeline's state colours.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from loopviz.trace import Trace
from loopviz.trace.queues import LoopQueues, QueueEntry, loop_queues
from loopviz.trace.wording import duration
from loopviz.ui.palette import Palette, palette_for, state_key

# (title, attribute, hint shown under the title)
BOXES: tuple[tuple[str, str, str], ...] = (
    ("Running now", "running", "on the loop (UI) thread"),
    ("Ready queue", "ready", "woken, waiting for the loop"),
    ("Timer heap", "timers", "sleeps, by due time"),
    ("Waiting", "waiting", "on tasks, futures, queues, locks"),
    ("Executor", "jobs", "queued → running on workers"),
)


class LoopQueuesView(QWidget):
    """Invariant: ``queues`` is what is painted (None: nothing to show)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loop-queues")
        self.queues: LoopQueues | None = None
        self.scale = 1.0
        self.setMinimumSize(420, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_at(self, trace: Trace | None, t_ns: int) -> None:
        queues = loop_queues(trace, t_ns) if trace is not None else None
        if queues != self.queues:
            self.queues = queues
            self.update()

    def set_scale(self, scale: float) -> None:
        self.scale = scale
        self.update()

    # ---- painting --------------------------------------------------------------------------
    def _entries(self, attr: str) -> list[tuple[QueueEntry, str]]:
        """(entry, palette key) of one box."""
        q = self.queues
        if q is None:
            return []
        if attr == "running":
            return [(e, "blocked" if e.kind == "block" else
                     "callback" if e.kind == "callback" else "running") for e in q.running]
        if attr == "ready":
            return [(e, "ready") for e in q.ready]
        if attr == "timers":
            return [(e, "wait:sleep") for e in q.timers]
        if attr == "waiting":
            return [(e, state_key("waiting", e.kind)) for e in q.waiting]
        return [(e, "wait:executor") for e in q.jobs_queued] + \
            [(e, "job") for e in q.jobs_running]

    def _chip_text(self, attr: str, e: QueueEntry) -> str:
        t = self.queues.t_ns if self.queues is not None else 0
        if attr == "timers" and e.due_ns is not None:
            left = e.due_ns - t
            when = f"overdue {duration(-left)}" if left <= 0 else f"due in {duration(left)}"
            return f"{e.name}  {when}"
        if attr == "ready":
            return f"{e.name}  ({duration(t - e.since_ns)})" if t > e.since_ns else e.name
        if attr == "jobs":
            running = self.queues is not None and e in self.queues.jobs_running
            return f"{'▶ ' if running else '… '}{e.name}" + (f" ({e.label})" if e.label else "")
        if attr == "running" and e.label and e.kind != "step":
            return f"{e.name} {e.label}"
        return f"{e.name}  {e.label}" if attr == "waiting" and e.label else e.name

    def paintEvent(self, event: object) -> None:
        pal: Palette = palette_for(self.palette())
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(pal.background))
        s = self.scale
        title_font, small, chip_font = QFont(self.font()), QFont(self.font()), QFont(self.font())
        title_font.setPointSizeF(11 * s)
        title_font.setBold(True)
        small.setPointSizeF(8.5 * s)
        chip_font.setPointSizeF(10 * s)
        gap = 6 * s
        n = len(BOXES)
        width = (self.width() - gap * (n + 1)) / n
        fg, muted = QColor(pal.foreground), QColor(pal.muted)
        for i, (title, attr, hint) in enumerate(BOXES):
            x = gap + i * (width + gap)
            box = QRectF(x, gap, width, self.height() - 2 * gap)
            p.setPen(QPen(muted, 1.2 * s))
            p.setBrush(QColor(pal.stripe))
            p.drawRoundedRect(box, 6 * s, 6 * s)
            entries = self._entries(attr)
            p.setFont(title_font)
            p.setPen(fg)
            th = p.fontMetrics().height()
            head = QRectF(x + 8 * s, box.top() + 4 * s, width - 16 * s, th)
            count = str(len(entries))
            p.drawText(head, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, count)
            room_w = int(head.width() - p.fontMetrics().horizontalAdvance(count) - 6 * s)
            p.drawText(head, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       p.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, room_w))
            p.setFont(small)
            p.setPen(muted)
            sh = p.fontMetrics().height()
            p.drawText(QRectF(x + 8 * s, box.top() + 4 * s + th, width - 16 * s, sh),
                       Qt.AlignmentFlag.AlignLeft, hint)
            p.setFont(chip_font)
            ch = p.fontMetrics().height() + 6 * s
            y = box.top() + 10 * s + th + sh
            room = int((box.bottom() - y - 4 * s) // (ch + 4 * s))
            shown = entries if len(entries) <= room else entries[: max(room - 1, 0)]
            for e, key in shown:
                self._chip(p, pal, QRectF(x + 6 * s, y, width - 12 * s, ch), key,
                           self._chip_text(attr, e),
                           attr == "timers" and self.queues is not None
                           and e.overdue(self.queues.t_ns))
                y += ch + 4 * s
            if len(shown) < len(entries):
                p.setPen(muted)
                p.drawText(QRectF(x + 10 * s, y, width - 20 * s, ch),
                           Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                           f"+{len(entries) - len(shown)} more")
        p.end()

    def _chip(self, p: QPainter, pal: Palette, rect: QRectF, key: str, text: str,
              alarm: bool) -> None:
        style = pal.style(key)
        p.setBrush(QColor(style.fill))
        edge = QColor(pal.states["blocked"].fill) if alarm else QColor(style.hatch)
        p.setPen(QPen(edge, (2.5 if alarm else 1.0) * self.scale))
        p.drawRoundedRect(rect, 4 * self.scale, 4 * self.scale)
        fill = QColor(style.fill)
        p.setPen(QColor("#ffffff") if fill.lightness() < 140 else QColor("#111111"))
        p.drawText(rect.adjusted(6 * self.scale, 0, -4 * self.scale, 0),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   p.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight,
                                              int(rect.width() - 10 * self.scale)))
