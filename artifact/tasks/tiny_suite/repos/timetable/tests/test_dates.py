from timetable.dates import (
    add_days,
    day_of_year,
    days_in_month,
    is_leap_year,
    split_week_minute,
    weekday,
)


def test_is_leap_year_ordinary_years():
    assert is_leap_year(2024) is True
    assert is_leap_year(2023) is False


def test_is_leap_year_century_years():
    assert is_leap_year(1900) is False
    assert is_leap_year(2000) is True


def test_days_in_month_winter():
    assert days_in_month(2023, 1) == 31
    assert days_in_month(2023, 2) == 28
    assert days_in_month(2024, 2) == 29


def test_days_in_month_thirty_day_months():
    assert days_in_month(2023, 4) == 30
    assert days_in_month(2023, 6) == 30
    assert days_in_month(2023, 9) == 30


def test_day_of_year_start_and_end():
    assert day_of_year(2023, 1, 1) == 1
    assert day_of_year(2023, 12, 31) == 365


def test_day_of_year_after_february():
    assert day_of_year(2023, 3, 1) == 60
    assert day_of_year(2024, 3, 1) == 61


def test_weekday_early_months():
    assert weekday(2024, 1, 1) == 0
    assert weekday(2000, 2, 29) == 1
    assert weekday(2024, 3, 1) == 4


def test_weekday_later_months():
    assert weekday(2023, 5, 17) == 2
    assert weekday(2021, 7, 4) == 6
    assert weekday(2023, 9, 30) == 5


def test_weekday_century_years():
    assert weekday(1900, 1, 1) == 0
    assert weekday(2100, 3, 1) == 0
    assert weekday(1600, 6, 15) == 3


def test_add_days_within_month():
    assert add_days(2023, 1, 30, 1) == (2023, 1, 31)
    assert add_days(2023, 2, 28, 0) == (2023, 2, 28)
    assert add_days(2023, 3, 1, 30) == (2023, 3, 31)


def test_add_days_across_month_and_year():
    assert add_days(2023, 11, 30, 1) == (2023, 12, 1)
    assert add_days(2023, 12, 31, 1) == (2024, 1, 1)
    assert add_days(2024, 2, 28, 2) == (2024, 3, 1)


def test_split_week_minute_within_week():
    assert split_week_minute(1440 + 570) == (1, 570)
    assert split_week_minute(8640) == (6, 0)
    assert split_week_minute(10079) == (6, 1439)


def test_split_week_minute_wraps():
    assert split_week_minute(10080 + 60) == (0, 60)
    assert split_week_minute(-60) == (6, 1380)
    assert split_week_minute(0) == (0, 0)
