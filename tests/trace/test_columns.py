"""Column tables read as the sequences of records they replace."""

from __future__ import annotations

import numpy as np

from loopviz.trace import Step, Trace, Wait
from loopviz.trace.columns import NA, StepTable, WaitTable

STEPS = [Step(1, 0, 5, 0), Step(2, 5, 9, 0), Step(1, 20, 30, 0)]
WAITS = [
    Wait(1, 5, 12, 15, 20, "sleep", (), "asyncio.sleep 10 ms", "a.py", 3, ("a.py:3 in f",)),
    Wait(2, 9, None, None, None, "task", (1, 3), "gather a, b", "b.py", 7),
]


def test_a_step_table_indexes_slices_iterates_and_compares_like_a_tuple() -> None:
    table = StepTable.of(STEPS)
    assert len(table) == 3 and table[0] == STEPS[0] and table[-1] == STEPS[-1]
    assert list(table[1:]) == STEPS[1:] and table == tuple(STEPS) and table != STEPS[:2]
    assert table.start_ns.dtype == np.int64 and table.start_ns.tolist() == [0, 5, 20]


def test_a_wait_table_keeps_nones_targets_labels_and_stacks() -> None:
    table = WaitTable.of(WAITS)
    assert list(table) == WAITS
    assert table.end_ns.tolist() == [20, NA] and table.targets_of(1) == (1, 3)
    assert list(table.take(np.array([1]))) == [WAITS[1]]
    assert list(table.take(table.kind_is("sleep"))) == [WAITS[0]]


def test_a_trace_made_of_records_answers_from_columns() -> None:
    from loopviz.trace import TaskInfo

    tasks = (TaskInfo(1, "a", "f", None, 0, 30, "result", None, "a.py", 1),
             TaskInfo(2, "b", "g", None, 0, None, "pending", None, "b.py", 1),
             TaskInfo(3, "c", "h", None, 0, None, "pending", None, "b.py", 1))
    trace = Trace({}, tasks=tasks, steps=tuple(STEPS), waits=tuple(WAITS), duration_ns=40)
    assert isinstance(trace.steps, StepTable) and trace.steps_of(1) == [STEPS[0], STEPS[2]]
    assert trace.waits_of(2) == [WAITS[1]]
    assert trace.state_at(1, 13).state == "ready" and trace.state_at(1, 25).state == "running"
    assert trace.await_edges() == [(2, 1, 9), (2, 3, 9)]


def test_a_task_table_reads_as_the_records_it_replaces_and_answers_from_columns() -> None:
    from loopviz.trace import TaskInfo
    from loopviz.trace.task_table import TaskTable

    tasks = (TaskInfo(3, "main", "main", None, 0, 90, "result", None, "a.py", 1),
             TaskInfo(5, "w-1", "work", 3, 10, 40, "exception", "ValueError('x')", "a.py", 7),
             TaskInfo(8, "w-2", "work", 3, 12, None, "pending", None, "a.py", 7))
    table = TaskTable.of(tasks)
    assert table == tasks and list(table[1:]) == list(tasks[1:]) and table[-1] == tasks[-1]
    assert table.get(5) == tasks[1] and table.get(4) is None and table.row_of(8) == 2
    assert table.names_by_id() == {3: "main", 5: "w-1", 8: "w-2"}
    trace = Trace({}, tasks=tasks, duration_ns=100)
    assert trace.children(3) == list(tasks[1:]) and trace.children(None) == [tasks[0]]
    assert trace.tasks_named("w-") == list(tasks[1:]) and trace.task(8) == tasks[2]
    assert trace.outcomes() == {"result": 1, "exception": 1, "pending": 1}
    assert trace.max_concurrency() == 3
    shuffled = TaskTable.of(tasks[::-1])  # ids out of order: found all the same
    assert shuffled.get(3) == tasks[0] and shuffled.get(9) is None
