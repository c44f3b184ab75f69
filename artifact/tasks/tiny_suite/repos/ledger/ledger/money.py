"""Helpers for amounts stored as integer cents."""

CENTS_PER_UNIT = 100


def to_cents(units, cents=0):
    """Combine whole currency units and extra cents into one cent amount."""
    if units < 0:
        return units * CENTS_PER_UNIT - cents
    return units * CENTS_PER_UNIT + cents


def format_cents(amount, symbol="$"):
    """Format cents as text such as '$12.05' or '-$0.50'."""
    sign = "-" if amount < 0 else ""
    units, cents = divmod(abs(amount), CENTS_PER_UNIT)
    return f"{sign}{symbol}{units:,}.{cents:02d}"


def parse_amount(text):
    """Parse text such as '12.5', '-3' or '0.07' into cents."""
    text = text.strip()
    negative = text.startswith("-")
    if negative:
        text = text[1:]
    whole, _, fraction = text.partition(".")
    fraction = (fraction + "00")[:2]
    total = int(whole or "0") * 100 + int(fraction)
    if negative:
        return -total
    return total


def round_half_up(numerator, denominator):
    """Divide two integers, rounding exact halves away from zero."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    if numerator < 0:
        return -quotient
    return quotient


def percent_of(amount, percent):
    """Return `percent` percent of `amount`, rounded half up to a cent."""
    return round_half_up(amount * percent, 100)


def allocate(amount, parts):
    """Split `amount` into `parts` shares that differ by at most one cent."""
    if parts <= 0:
        raise ValueError("parts must be positive")
    base, extra = divmod(amount, parts)
    shares = []
    for index in range(parts):
        if index < extra:
            shares.append(base + 1)
        else:
            shares.append(base)
    return shares


def allocate_by_ratio(amount, ratios):
    """Split `amount` in proportion to `ratios`; spare cents go to the first shares."""
    total_ratio = sum(ratios)
    shares = [amount * ratio // total_ratio for ratio in ratios]
    leftover = amount - sum(shares)
    for index in range(leftover):
        shares[index] += 1
    return shares
