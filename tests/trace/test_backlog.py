import numpy as np

from loopviz.trace.backlog import Backlog


def rows(*times):
    return np.array([[t, t * 10] for t in times], np.int64).reshape(-1, 2)


def test_rows_come_out_in_the_order_they_were_pushed_across_chunks():
    held = Backlog(2)
    held.push(rows(1, 2, 3))
    held.push(rows())
    held.push(rows(4, 5))
    assert held.rows == 5 and held.row(3).tolist() == [4, 40]
    assert held.take(2)[:, 0].tolist() == [1, 2]
    assert held.take(2)[:, 0].tolist() == [3, 4]
    assert held.take()[:, 0].tolist() == [5]
    assert held.rows == 0 and held.take().shape == (0, 2)


def test_take_before_cuts_a_prefix_at_a_time_and_keeps_the_rest():
    held = Backlog(2)
    held.push(rows(1, 2))
    held.push(rows(3, 3, 4))
    assert held.take_before(0, 3, strict=True)[:, 0].tolist() == [1, 2]
    assert held.take_before(0, 3, strict=False)[:, 0].tolist() == [3, 3]
    assert held.take_before(0, 100, strict=True)[:, 0].tolist() == [4]
