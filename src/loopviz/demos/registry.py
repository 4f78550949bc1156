"""The one ordered registry: the browser, ``loopviz list``, the code view and the tests all
read it. Demo modules register in learning order by being listed in ``_MODULES``."""

from __future__ import annotations

import importlib

from loopviz.demos.base import Demo

CATEGORIES: tuple[str, ...] = (
    "Basics", "Composition", "Pitfalls", "Threads and the UI thread", "Control", "History",
)

# Module names under loopviz.demos, in the order a learner should meet them. Each module
# exposes DEMO (one) or DEMOS (a small family).
_MODULES: tuple[str, ...] = (
    "interleaving",
    "state_machine",
    "sequential_vs_gather",
    "first_completed",
    "gather_errors",
    "async_stream",
    "channel_backpressure",
    "future_from_callback",
    "fast_path",
    # Pitfalls
    "blocking_sleep",
    "deadlock",
    "async_in_name_only",
    "fire_and_forget",
    "missing_await",
    "over_async",
    # Threads and the UI thread
    "offload_cpu",
    "threads_for_waiting",
    "starvation",
    "ui_context",
    "wrong_thread_ui",
    # Control
    "cancellation",
    "timeout",
    "throttle",
    "async_lock",
    "retry_backoff",
    "periodic_worker",
    "context_vars",
    # History
    "callbacks_to_await",
)

_cache: list[Demo] | None = None


def all_demos() -> list[Demo]:
    global _cache
    if _cache is None:
        demos: list[Demo] = []
        for name in _MODULES:
            module = importlib.import_module(f"loopviz.demos.{name}")
            found = getattr(module, "DEMOS", None) or [module.DEMO]
            for demo in found:
                object.__setattr__(demo, "module", module)
                demos.append(demo)
        order = {c: i for i, c in enumerate(CATEGORIES)}
        demos.sort(key=lambda d: order.get(d.category, len(order)))  # stable within a category
        _cache = demos
    return list(_cache)


def get_demo(demo_id: str) -> Demo:
    for demo in all_demos():
        if demo.id == demo_id:
            return demo
    raise KeyError(demo_id)
