import pytest

from ledger.accounts import (
    Account,
    InsufficientFunds,
    balances_by_account,
    entries_between,
    lowest_balance,
    running_balances,
    transfer,
)


def test_deposit_returns_new_balance():
    account = Account("cash", 100)
    assert account.deposit(50) == 150
    assert account.history == [("deposit", 50)]


def test_deposit_smallest_amount():
    assert Account("cash").deposit(1) == 1
    with pytest.raises(ValueError):
        Account("cash").deposit(0)


def test_withdraw_returns_new_balance():
    account = Account("cash", 100)
    assert account.withdraw(30) == 70
    assert account.history == [("withdraw", 30)]


def test_withdraw_up_to_limit():
    assert Account("cash", 10).withdraw(10) == 0
    assert Account("cash", 100, 50).withdraw(150) == -50
    with pytest.raises(InsufficientFunds):
        Account("cash", 100, 50).withdraw(151)


def test_withdraw_rejects_bad_amounts():
    assert Account("cash", 10).withdraw(1) == 9
    with pytest.raises(ValueError):
        Account("cash", 100).withdraw(0)
    with pytest.raises(InsufficientFunds):
        Account("cash", 10).withdraw(11)


def test_total_of_kinds():
    account = Account("cash", 0)
    account.history = [("deposit", 10), ("withdraw", 4), ("deposit", 5)]
    assert account.total_of("deposit") == 15
    assert account.total_of("withdraw") == 4


def test_total_of_unknown_kind():
    assert Account("cash").total_of("deposit") == 0


def test_recent_returns_last_entries():
    account = Account("cash")
    account.history = [("deposit", 1), ("deposit", 2), ("deposit", 3)]
    assert account.recent(2) == [("deposit", 2), ("deposit", 3)]
    assert account.recent(5) == account.history


def test_recent_zero_and_one():
    account = Account("cash")
    account.history = [("deposit", 1), ("withdraw", 2)]
    assert account.recent(0) == []
    assert account.recent(1) == [("withdraw", 2)]


def test_transfer_moves_money():
    source = Account("a", 100)
    target = Account("b", 5)
    assert transfer(source, target, 30) == (70, 35)


def test_transfer_to_same_account_fails():
    account = Account("a", 100)
    with pytest.raises(ValueError):
        transfer(account, account, 10)


def test_balances_by_account():
    entries = [("a", 10), ("b", 5), ("a", -3)]
    assert balances_by_account(entries) == {"a": 7, "b": 5}


def test_balances_by_account_empty():
    assert balances_by_account([]) == {}


def test_running_balances():
    assert running_balances([10, -5, 20]) == [10, 5, 25]
    assert running_balances([1, 2], start=100) == [101, 103]


def test_running_balances_empty():
    assert running_balances([], start=7) == []


def test_lowest_balance():
    assert lowest_balance([10, -30, 5]) == -20
    assert lowest_balance([-5, -5, 20], start=8) == -2


def test_lowest_balance_never_below_start():
    assert lowest_balance([5, 10], start=3) == 3


def test_entries_between_inclusive():
    entries = [(1, 10), (3, 20), (5, 30), (7, 40)]
    assert entries_between(entries, 3, 5) == [(3, 20), (5, 30)]


def test_entries_between_no_match():
    assert entries_between([(1, 10), (9, 20)], 2, 8) == []
