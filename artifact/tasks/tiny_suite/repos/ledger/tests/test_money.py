import pytest

from ledger.money import (
    allocate,
    allocate_by_ratio,
    format_cents,
    parse_amount,
    percent_of,
    round_half_up,
    to_cents,
)


def test_to_cents_units_and_cents():
    assert to_cents(12, 5) == 1205
    assert to_cents(0, 99) == 99
    assert to_cents(3) == 300


def test_to_cents_negative_units():
    assert to_cents(-1, 25) == -125


def test_format_cents_positive():
    assert format_cents(1205) == "$12.05"
    assert format_cents(123456789, "€") == "€1,234,567.89"


def test_format_cents_negative_and_zero():
    assert format_cents(-1) == "-$0.01"
    assert format_cents(0) == "$0.00"


def test_parse_amount_with_fraction():
    assert parse_amount("12.5") == 1250
    assert parse_amount("0.07") == 7
    assert parse_amount("4.999") == 499


def test_parse_amount_whole_and_negative():
    assert parse_amount("-3") == -300
    assert parse_amount(" -3.50 ") == -350
    assert parse_amount(".25") == 25


def test_round_half_up_rounds_halves_up():
    assert round_half_up(5, 2) == 3
    assert round_half_up(7, 2) == 4
    assert round_half_up(-5, 2) == -3


def test_round_half_up_below_and_above_half():
    assert round_half_up(4, 3) == 1
    assert round_half_up(5, 3) == 2
    assert round_half_up(-1, 2) == -1


def test_percent_of_exact():
    assert percent_of(1000, 15) == 150


def test_percent_of_rounding():
    assert percent_of(250, 3) == 8
    assert percent_of(249, 3) == 7


def test_allocate_uneven():
    assert allocate(100, 3) == [34, 33, 33]
    assert allocate(101, 3) == [34, 34, 33]


def test_allocate_even_and_single():
    assert allocate(6, 3) == [2, 2, 2]
    assert allocate(5, 1) == [5]
    with pytest.raises(ValueError):
        allocate(10, 0)


def test_allocate_by_ratio_exact():
    assert allocate_by_ratio(1000, [1, 3]) == [250, 750]


def test_allocate_by_ratio_leftover():
    assert allocate_by_ratio(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate_by_ratio(10, [1, 2]) == [4, 6]
