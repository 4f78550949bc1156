"""A change notification without Qt: what a model tells the views that observe it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Notifier(Generic[T]):
    """``connect(fn)``; ``emit(value)`` calls every connected ``fn(value)`` in order, on the
    caller's thread (a model's views live on the UI thread, as the model does)."""

    def __init__(self) -> None:
        self._slots: list[Callable[[T], object]] = []

    def connect(self, slot: Callable[[T], object]) -> None:
        self._slots.append(slot)

    def disconnect(self, slot: Callable[[T], object]) -> None:
        self._slots.remove(slot)

    def emit(self, value: T) -> None:
        for slot in list(self._slots):
            slot(value)
