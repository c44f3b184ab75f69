import pytest

from timetable.clock import (
    format_time,
    is_between,
    is_valid_time,
    minutes_until,
    parse_time,
    round_up,
    to_12_hour,
)


def test_is_valid_time_accepts_bounds():
    assert is_valid_time(0, 0) is True
    assert is_valid_time(23, 59) is True


def test_is_valid_time_rejects_out_of_range():
    assert is_valid_time(24, 0) is False
    assert is_valid_time(12, 60) is False
    assert is_valid_time(-1, 30) is False


def test_parse_time_values():
    assert parse_time("09:30") == 570
    assert parse_time("00:00") == 0
    assert parse_time(" 23:59 ") == 1439


def test_parse_time_rejects_bad_text():
    with pytest.raises(ValueError):
        parse_time("12:60")
    with pytest.raises(ValueError):
        parse_time("1230")


def test_format_time_pads_with_zeros():
    assert format_time(570) == "09:30"
    assert format_time(0) == "00:00"
    assert format_time(1439) == "23:59"


def test_format_time_wraps_around_midnight():
    assert format_time(1440 + 65) == "01:05"
    assert format_time(-30) == "23:30"


def test_to_12_hour_midnight_and_noon():
    assert to_12_hour(0) == "12:00 AM"
    assert to_12_hour(725) == "12:05 PM"


def test_to_12_hour_morning_and_afternoon():
    assert to_12_hour(719) == "11:59 AM"
    assert to_12_hour(780) == "1:00 PM"
    assert to_12_hour(1439) == "11:59 PM"


def test_minutes_until_same_day():
    assert minutes_until(600, 690) == 90
    assert minutes_until(600, 600) == 0


def test_minutes_until_wraps_past_midnight():
    assert minutes_until(1380, 60) == 120


def test_is_between_plain_range():
    assert is_between(600, 600, 700) is True
    assert is_between(700, 600, 700) is False
    assert is_between(600, 600, 600) is False


def test_is_between_range_over_midnight():
    assert is_between(1320, 1320, 360) is True
    assert is_between(360, 1320, 360) is False
    assert is_between(720, 1320, 360) is False


def test_round_up_to_next_step():
    assert round_up(605, 15) == 615
    assert round_up(601, 30) == 630


def test_round_up_keeps_exact_multiples():
    assert round_up(600, 15) == 600
    assert round_up(0, 15) == 0
