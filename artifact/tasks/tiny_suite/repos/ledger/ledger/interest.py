"""Interest, loan and fee calculations on integer cents."""

import math

DAYS_PER_YEAR = 365
BASIS_POINTS = 10000


def simple_interest(principal, rate_bps, days):
    """Interest for `days` at an annual rate in basis points, rounded down."""
    return principal * rate_bps * days // (BASIS_POINTS * DAYS_PER_YEAR)


def compound(principal, rate_bps, periods):
    """Balance after compounding each period, rounding each step to a cent."""
    balance = principal
    for _ in range(periods):
        balance += (balance * rate_bps + 5000) // 10000
    return balance


def periods_to_double(rate_bps, limit=100):
    """Number of periods until money at least doubles, or -1 within `limit`."""
    balance = 10000
    for period in range(1, limit + 1):
        balance += balance * rate_bps // 10000
        if balance >= 20000:
            return period
    return -1


def amortized_payment(principal, annual_bps, months):
    """Fixed monthly payment, rounded up to a cent, that repays a loan."""
    if annual_bps == 0:
        return -(-principal // months)
    rate = annual_bps / 12 / BASIS_POINTS
    payment = principal * rate / (1 - (1 + rate) ** -months)
    return math.ceil(payment)


def amortization_schedule(principal, annual_bps, months, payment):
    """Rows of (month, interest, principal_paid, remaining) for a loan."""
    remaining = principal
    rows = []
    for month in range(1, months + 1):
        interest = (remaining * annual_bps + 60000) // 120000
        paid = min(payment - interest, remaining)
        remaining = remaining - paid
        rows.append((month, interest, paid, remaining))
    return rows


def late_fee(days_late, daily_fee, cap, grace_days=0):
    """Fee for paying late, free inside the grace period and capped."""
    if days_late <= grace_days:
        return 0
    fee = (days_late - grace_days) * daily_fee
    return min(fee, cap)
