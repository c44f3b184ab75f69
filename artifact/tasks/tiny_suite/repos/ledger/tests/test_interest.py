from ledger.interest import (
    amortization_schedule,
    amortized_payment,
    compound,
    late_fee,
    periods_to_double,
    simple_interest,
)


def test_simple_interest_full_year():
    assert simple_interest(10000000, 500, 365) == 500000


def test_simple_interest_partial_year_rounds_down():
    assert simple_interest(100000, 500, 73) == 1000
    assert simple_interest(999, 100, 365) == 9


def test_compound_two_periods():
    assert compound(10000, 1000, 2) == 12100
    assert compound(10000, 1000, 0) == 10000


def test_compound_rounds_half_up():
    assert compound(100, 50, 1) == 101
    assert compound(4999, 1, 1) == 4999


def test_periods_to_double():
    assert periods_to_double(10000) == 1
    assert periods_to_double(1000) == 8
    assert periods_to_double(718) == 11


def test_periods_to_double_limit():
    assert periods_to_double(70) == 100
    assert periods_to_double(10, limit=719) == 719
    assert periods_to_double(10, limit=718) == -1


def test_amortized_payment_without_interest():
    assert amortized_payment(120000, 0, 12) == 10000
    assert amortized_payment(100000, 0, 3) == 33334


def test_amortized_payment_with_interest():
    assert amortized_payment(100000, 1200, 12) == 8885
    assert amortized_payment(500000, 600, 24) == 22161


def test_amortization_schedule_rows():
    assert amortization_schedule(10000, 1200, 2, 5100) == [(1, 100, 5000, 5000), (2, 50, 5000, 0)]
    assert amortization_schedule(60000, 1, 1, 60001) == [(1, 1, 60000, 0)]
    assert amortization_schedule(59999, 1, 1, 60000) == [(1, 0, 59999, 0)]


def test_amortization_schedule_final_payment_is_capped():
    expected = [(1, 0, 600, 400), (2, 0, 400, 0), (3, 0, 0, 0)]
    assert amortization_schedule(1000, 0, 3, 600) == expected


def test_late_fee_grows_per_day():
    assert late_fee(5, 100, 1000) == 500
    assert late_fee(4, 100, 1000, 3) == 100
    assert late_fee(10, 100, 1000) == 1000


def test_late_fee_grace_period_and_cap():
    assert late_fee(3, 100, 1000, 3) == 0
    assert late_fee(1, 100, 1000, 3) == 0
    assert late_fee(20, 100, 1000) == 1000
