"""Accounts, transfers and simple transaction reports."""


class InsufficientFunds(Exception):
    """Raised when a withdrawal would exceed the available money."""


class Account:
    """A single account holding a balance in cents."""

    def __init__(self, name, balance=0, overdraft_limit=0):
        self.name = name
        self.balance = balance
        self.overdraft_limit = overdraft_limit
        self.history = []

    def deposit(self, amount):
        """Add a positive amount and return the new balance."""
        if amount <= 0:
            raise ValueError("deposit must be positive")
        self.balance += amount
        self.history.append(("deposit", amount))
        return self.balance

    def withdraw(self, amount):
        """Remove a positive amount and return the new balance."""
        if amount <= 0:
            raise ValueError("withdrawal must be positive")
        if amount > self.balance + self.overdraft_limit:
            raise InsufficientFunds(self.name)
        self.balance -= amount
        self.history.append(("withdraw", amount))
        return self.balance

    def total_of(self, kind):
        """Sum of all history entries of the given kind."""
        total = 0
        for entry_kind, amount in self.history:
            if entry_kind == kind:
                total += amount
        return total

    def recent(self, count):
        """The last `count` history entries, oldest first."""
        if count <= 0:
            return []
        return self.history[-count:]


def transfer(source, target, amount):
    """Move money between two accounts; return both new balances."""
    if source is target:
        raise ValueError("cannot transfer to the same account")
    source.withdraw(amount)
    target.deposit(amount)
    return source.balance, target.balance


def balances_by_account(entries):
    """Total the amounts of (account_name, amount) pairs per account."""
    totals = {}
    for name, amount in entries:
        totals[name] = totals.get(name, 0) + amount
    return totals


def running_balances(amounts, start=0):
    """The balance after each amount is applied in turn."""
    balance = start
    result = []
    for amount in amounts:
        balance = balance + amount
        result.append(balance)
    return result


def lowest_balance(amounts, start=0):
    """The smallest balance reached, including the starting balance."""
    balance = start
    lowest = start
    for amount in amounts:
        balance += amount
        if balance < lowest:
            lowest = balance
    return lowest


def entries_between(entries, first_day, last_day):
    """Entries (day, amount) whose day lies within the inclusive range."""
    selected = []
    for day, amount in entries:
        if first_day <= day and day <= last_day:
            selected.append((day, amount))
    return selected
