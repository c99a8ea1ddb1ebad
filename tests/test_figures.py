"""The weekly report's figures (`report/figures.py`); their numbers are checked through the
notebook in test_notebook_weekly_report.py."""

from datetime import date

from burnout_lib.report.figures import last_complete_week


def test_the_last_complete_week() -> None:
    assert last_complete_week(date(2026, 11, 23)) == date(2026, 11, 16)  # a Monday
    assert last_complete_week(date(2026, 11, 29)) == date(2026, 11, 16)  # a Sunday
