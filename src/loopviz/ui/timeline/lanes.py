"""The timeline's lanes: which threads and tasks get one, in which order, which are hidden
under a collapsed parent, and what a point on a lane hits. Pure (no Qt), like ``layout``, whose
model keeps the segments these lanes carry.

Order: thread lanes first (the UI/loop thread, then each executor worker, then other threads),
then one lane per task in tree order (children under their parent, by creation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loopviz.trace import Trace


@dataclass(frozen=True, slots=True)
class Lane:
    """One horizontal lane: a thread or a task. ``ident`` is the thread or task id."""

    key: int
    kind: str  # "thread" | "task"
    ident: int
    label: str
    depth: int = 0
    has_children: bool = False


@dataclass(frozen=True, slots=True)
class Hit:
    """What is under a point: a lane, and the segment there if any."""

    lane: Lane
    state: str | None = None
    ref: int = -1
    x0: float = 0.0
    x1: float = 0.0


def order_lanes(trace: Trace, used_threads: set[int], key: Any,
                cache: dict[int, Lane] | None = None) -> list[Lane]:
    """Thread lanes (UI first, then workers, then others) followed by task lanes in tree order.
    ``key(kind, ident)`` gives each lane its stable key. ``cache`` (key -> Lane) lets an
    unchanged lane be reused: a 10,000-task live run re-orders its lanes on every new task,
    and building the Lane records was most of that cost."""
    lanes: list[Lane] = []
    cache = {} if cache is None else cache
    ui = trace.ui_thread()
    threads = [th for th in trace.threads if th.id == ui or th.id in used_threads]
    rank = {"ui-loop": 0, "executor": 1}
    worker = 0
    for th in sorted(threads, key=lambda th: (rank.get(th.role, 2), th.id)):
        if th.role == "ui-loop":
            label = "UI thread"
        elif th.role == "executor":
            worker += 1
            label = f"worker-{worker}"
        else:
            label = th.name
        lanes.append(Lane(key("thread", th.id), "thread", th.id, label))
    ids = {t.id for t in trace.tasks}
    children: dict[int | None, list[Any]] = {}
    for t in trace.tasks:
        children.setdefault(t.parent if t.parent in ids else None, []).append(t)
    stack = [(t, 0) for t in reversed(children.get(None, []))]
    while stack:
        t, depth = stack.pop()
        kids = children.get(t.id)
        k = key("task", t.id)
        lane = cache.get(k)
        if lane is None or lane.label != t.name or lane.depth != depth or \
                lane.has_children != bool(kids):
            lane = cache[k] = Lane(k, "task", t.id, t.name, depth, bool(kids))
        lanes.append(lane)
        if kids:
            stack.extend((c, depth + 1) for c in reversed(kids))
    return lanes


def visible_lanes(lanes: list[Lane], collapsed: set[int]) -> list[Lane]:
    """``lanes`` without the descendants of collapsed tasks (the collapsed task stays)."""
    out: list[Lane] = []
    hide_below: int | None = None
    for lane in lanes:
        if hide_below is not None:
            if lane.kind == "task" and lane.depth > hide_below:
                continue
            hide_below = None
        out.append(lane)
        if lane.kind == "task" and lane.ident in collapsed and lane.has_children:
            hide_below = lane.depth
    return out
