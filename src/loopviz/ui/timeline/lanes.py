"""The timeline's lanes: which threads and tasks get one, in which order, which are hidden
under a collapsed parent, and what a point on a lane hits. Pure (no Qt), like ``layout``, whose
model keeps the segments these lanes carry.

Order: thread lanes first (the UI/loop thread, then each executor worker and the rows of jobs
waiting for a worker, then other threads), then one lane per task in tree order (children
under their parent, by creation), library code's tasks grouped after the user's own in a
collapsed "library tasks" lane.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from loopviz.trace import Trace
from loopviz.trace.columns import NA
from loopviz.trace.names import task_lane_name, task_short_name, thread_lane_name
from loopviz.trace.task_table import TaskTable
from loopviz.ui.timeline.library import group_ident

QUEUE_LABEL = "waiting for a worker"
TREE_KINDS = ("task", "group")  # lanes with a depth, which a collapsed parent can hide


class Lane(NamedTuple):
    """One horizontal lane: a thread, a row of the executor's queue, or a task. ``ident`` is
    the thread id, the queue row or the task id. A named tuple, not a frozen dataclass: a
    10,000-task run's first picture makes 10,000 of them (4 us each frozen, 1 us here)."""

    key: int
    kind: str  # "thread" | "queue" | "task" | "group" (library tasks under one parent)
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
                cache: dict[int, Lane] | None = None, *, queue_rows: int = 0,
                library: set[int] | frozenset[int] = frozenset()) -> list[Lane]:
    """Thread lanes (UI first, then workers, then ``queue_rows`` rows of jobs waiting for a
    worker, then other threads) followed by task lanes in tree order (:func:`task_lanes`:
    the tasks in ``library`` grouped after the user's own).
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
        if th.role == "executor":
            worker += 1
        label = thread_lane_name(th.name, th.role)  # a thread's own name (asyncio_0, db_0)
        if th.role != "executor" and worker and queue_rows:
            lanes += queue_lanes(queue_rows, key)
            queue_rows = 0
        lanes.append(Lane(key("thread", th.id), "thread", th.id, label))
    lanes += queue_lanes(queue_rows, key)
    lanes += task_lanes(trace, key, cache, library)
    return lanes


def group_label(members: int, parent: str | None) -> str:
    """``library tasks (6)`` at the top; ``library tasks of main (6)`` under a task."""
    return f"library tasks of {parent} ({members})" if parent else f"library tasks ({members})"


def task_lanes(trace: Trace, key: Any, cache: dict[int, Lane],
               library: set[int] | frozenset[int] = frozenset()) -> list[Lane]:
    """Task lanes in tree order. Tasks in ``library`` go after their user siblings, inside
    one "library tasks (N)" group lane per parent (its ident: ``group_ident(parent)``); a user
    task whose parent is library code is lifted to its nearest user ancestor, so no user task
    ever hides inside a library group."""
    tasks = TaskTable.of(trace.tasks)  # read as columns: no record per task
    ids = tasks.id.tolist()
    parent_of = dict(zip(ids, (None if p == NA else p for p in tasks.parent.tolist()),
                         strict=True))
    rows = list(zip(ids, tasks.name.tolist(), tasks.string_column("coro"), strict=True))

    def shown_parent(tid: int) -> int | None:
        parent = parent_of[tid]
        parent = parent if parent in parent_of else None
        if tid not in library:
            while parent is not None and parent in library:
                up = parent_of[parent]
                parent = up if up in parent_of else None
        return parent

    # A nested group is named after its parent: two groups otherwise differ by indent only.
    owner = {tid: task_short_name(name, coro or "") for tid, name, coro in rows}
    children: dict[int | None, list[tuple[int, str, str | None]]] = {}
    for row in rows:
        children.setdefault(shown_parent(row[0]), []).append(row)
    lanes: list[Lane] = []
    # ((id, name, coro) or ("group", parent, members), depth), popped from the end
    stack: list[tuple[Any, int]] = []

    def push_children(parent: int | None, depth: int) -> None:
        kids = children.get(parent, [])
        own = [t for t in kids if t[0] not in library]
        lib = [t for t in kids if t[0] in library]
        if lib:
            stack.append((("group", parent, lib), depth))
        stack.extend((c, depth) for c in reversed(own))

    push_children(None, 0)
    while stack:
        item, depth = stack.pop()
        if item[0] == "group":  # a task's row starts with its (int) id
            _, parent, members = item
            ident = group_ident(parent)
            lanes.append(Lane(key("group", ident), "group", ident,
                              group_label(len(members), owner.get(parent)), depth, True))
            stack.extend((c, depth + 1) for c in reversed(members))
            continue
        tid, name, coro = item
        kids = bool(children.get(tid))
        k = key("task", tid)
        lane = cache.get(k)
        label = task_lane_name(name, coro or "")  # Task-17 · RequestHandler.start
        if lane is None or lane.label != label or lane.depth != depth or \
                lane.has_children != kids:
            lane = cache[k] = Lane(k, "task", tid, label, depth, kids)
        lanes.append(lane)
        if kids:
            push_children(tid, depth + 1)
    return lanes


def ancestors(lanes: list[Lane], task_id: int) -> set[int]:
    """Idents of the task and group lanes above ``task_id``'s lane in the tree (what must be
    expanded for it to show)."""
    row = next((i for i, lane in enumerate(lanes)
                if lane.kind == "task" and lane.ident == task_id), None)
    out: set[int] = set()
    if row is None:
        return out
    depth = lanes[row].depth
    for lane in reversed(lanes[:row]):
        if lane.kind in TREE_KINDS and lane.depth < depth:
            out.add(lane.ident)
            depth = lane.depth
    return out


def queue_lanes(rows: int, key: Any) -> list[Lane]:
    """The executor queue's rows: the jobs submitted but not started (no worker free)."""
    return [Lane(key("queue", r), "queue", r, QUEUE_LABEL if r == 0 else f"{QUEUE_LABEL} ({r + 1})")
            for r in range(rows)]


def visible_lanes(lanes: list[Lane], collapsed: set[int]) -> list[Lane]:
    """``lanes`` without the descendants of collapsed tasks and library groups (the
    collapsed lane itself stays)."""
    out: list[Lane] = []
    hide_below: int | None = None
    for lane in lanes:
        if hide_below is not None:
            if lane.kind in TREE_KINDS and lane.depth > hide_below:
                continue
            hide_below = None
        out.append(lane)
        if lane.kind in TREE_KINDS and lane.ident in collapsed and lane.has_children:
            hide_below = lane.depth
    return out
