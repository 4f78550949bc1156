"""Helpers for the demo tests: run one demo variant headless, exactly as the GUI does (same
Session, loopviz's Qt loop, offscreen), straight from its module so a demo can be tested
before it is listed in the registry."""

from __future__ import annotations

import importlib
from typing import Any

from loopviz.demos.base import Demo
from loopviz.session import RunResult, Target, run_headless


def demo_of(module_name: str, demo_id: str | None = None) -> Demo:
    module = importlib.import_module(f"loopviz.demos.{module_name}")
    demos = getattr(module, "DEMOS", None) or [module.DEMO]
    return next(d for d in demos if demo_id is None or d.id == demo_id)


def run_demo(module_name: str, variant: str, demo_id: str | None = None,
             **params: Any) -> RunResult:
    demo = demo_of(module_name, demo_id)
    target = Target(demo.id, demo.title, variant, demo.source_file(),
                    lambda: demo.make_main(variant, **params), demo, params)
    return run_headless(target, loop="qt", timeout=20)


