"""MTurk's time stamps, as its own results files write them, in UTC whatever time zone a
datetime carries: a requester's scripts parse these."""

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from annotator.formats.mturk import mturk_time


def test_as_mturk_writes_it():
    assert mturk_time(datetime(2019, 11, 5, 5, 32, 54, 999_999, tzinfo=timezone.utc)) == "Tue Nov 05 05:32:54 UTC 2019"
    assert mturk_time(datetime(2026, 12, 31, 23, 59, 59)) == "Thu Dec 31 23:59:59 UTC 2026"  # naive: UTC
    berlin = timezone(timedelta(hours=1))
    assert mturk_time(datetime(2027, 1, 1, 0, 30, tzinfo=berlin)) == "Thu Dec 31 23:30:00 UTC 2026"
    assert mturk_time(None) == ""


@given(st.datetimes(min_value=datetime(1960, 1, 1), max_value=datetime(2100, 1, 1)))
def test_every_second_agrees_with_strftime_in_utc(when):
    assert mturk_time(when) == when.strftime("%a %b %d %H:%M:%S UTC %Y")  # the C locale's English names


def test_the_last_microsecond_of_a_second_stays_in_it():
    assert mturk_time(datetime(2099, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone.utc)) == "Thu Dec 31 23:59:59 UTC 2099"
