"""Types of the optional C speedups (``_speedups.c``), checked against the built module by
``python -m mypy.stubtest loopviz._speedups`` (.ci/run). Each type has a pure-Python twin (see
the C file's header); the docstrings say what each call does there."""

from collections.abc import Callable, Iterable
from typing import Any, final

from typing_extensions import disjoint_base

@final
class IntLog:
    """A growable int64 log: the recorder's hot buffer (a list in pure Python)."""

    def extend(self, values: Iterable[int], /) -> None: ...
    def __iadd__(self, values: Iterable[int], /) -> IntLog: ...
    def __len__(self) -> int: ...
    def peek(self, n: int = ..., /) -> bytes:
        """The first ``n`` ints (default: all) as native int64 bytes."""
    def take(self, n: int = ..., /) -> bytes:
        """As :meth:`peek`, and the ints leave the log."""
    def clear(self) -> None: ...
    def tolist(self) -> list[int]: ...

@disjoint_base
class ProxyCore:
    """C core of CoroutineProxy: its fields and the per-step send path. The subclass provides
    ``_read_name``, ``_bare_yield_site``, ``_suspended_on``, ``_finished``, ``_slow_send`` and
    ``_compact``, which the C side calls back."""

    task_id: Any  # read-only: the task's recorded id
    waiting: bool
    task: Any  # a weakref to the Task, set by the factory (None before)
    _coro: Any
    _steps: Any
    _tracker: Any
    _rec: Any
    _sleep0: Any
    _last_inner: Any
    _last_lasti: int
    _named: bool
    _last_site: int
    __name__: str
    __qualname__: str
    __weaklistoffset__: int  # how the C type supports weak references
    def __init__(self, coro: Any, task_id: int, tracker: Any, /) -> None: ...
    def send(self, value: Any, /) -> Any:
        """One step of the wrapped coroutine, timed and recorded."""

@final
class WakeFilter:
    """Tracker._on_schedule's common cases in C: ``(callback, args) -> callback``."""

    __wrapped__: Callable[..., Any]
    def __new__(cls, on_schedule: Callable[..., Any], proxy_type: type, task_type: type,
                wakes: Any, time_callbacks: bool, py_types: tuple[type, ...], /) -> WakeFilter: ...
    def __call__(self, callback: Callable[..., Any], args: tuple[Any, ...], /) -> Any: ...

@final
class ScheduleHook:
    """A loop's ``call_soon`` that passes wake-ups and plain callbacks to ``on_schedule``."""

    __wrapped__: Callable[..., Any]
    def __new__(cls, call_soon: Callable[..., Any], on_schedule: Callable[..., Any],
                py_types: tuple[type, ...], /) -> ScheduleHook: ...
    def __call__(self, callback: Callable[..., Any], *args: Any, context: Any = None) -> Any: ...

@final
class TaskFactory:
    """Tracker._factory's common case in C: a loop's task factory."""

    __wrapped__: Callable[..., Any]
    def __new__(cls, factory: Callable[..., Any], tracker: Any, proxy_type: type,
                entry_type: type, task_type: type, tasks: dict[int, Any], ids: Any,
                current_task: Callable[[Any], Any], is_user_code: Callable[[Any], bool],
                listeners: list[Any], /) -> TaskFactory: ...
    def __call__(self, loop: Any, coro: Any, **kwargs: Any) -> Any: ...

def configure(compact_at: int, user_cache: dict[int, bool], must_cancel: str, /) -> None:
    """The recorder's compaction threshold, sites' user-code cache, and the name of the Task
    attribute that says a cancellation is pending (loopviz._cpython's)."""

def give_am_send(cls: type[ProxyCore], /) -> None:
    """Install the core's am_send on a subclass that keeps its send."""

def monotonic_ns() -> int:
    """The clock the proxy stamps steps with."""
