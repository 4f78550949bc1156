"""One wording for durations and places, wherever loopviz prints them."""

from loopviz.trace.wording import duration, place


def test_a_duration_reads_in_the_unit_that_fits_it() -> None:
    assert duration(1_234_000_000) == "1.23 s"
    assert duration(35_400_000) == "35 ms"
    assert duration(120_000) == "120 µs"
    assert duration(-2_000_000) == "-2 ms"  # an overdue timer


def test_a_precise_duration_keeps_three_figures_below_a_second() -> None:
    assert duration(35_400_000, precise=True) == "35.4 ms"
    assert duration(120_000, precise=True) == "120 µs"
    assert duration(1_234_000_000, precise=True) == "1.23 s"


def test_a_place_names_the_file_not_its_folder() -> None:
    assert place("/home/me/project/blocking.py", 14) == "blocking.py:14"
    assert place("", 0) == "an unknown line"
    assert place("", 0, "") == ""
