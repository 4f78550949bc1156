"""The demo catalogue: every concept of the seed articles, each proved by its own trace."""

from loopviz.demos.base import DEFAULT, FIXED, PITFALL, Demo, Param, Question
from loopviz.demos.registry import CATEGORIES, all_demos, get_demo

__all__ = ["CATEGORIES", "DEFAULT", "FIXED", "PITFALL", "Demo", "Param", "Question",
           "all_demos", "get_demo"]
