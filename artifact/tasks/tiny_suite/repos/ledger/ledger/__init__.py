"""ledger: a tiny bookkeeping library working in integer cents."""

from .money import (
    allocate,
    allocate_by_ratio,
    format_cents,
    parse_amount,
    percent_of,
    round_half_up,
    to_cents,
)
from .accounts import (
    Account,
    InsufficientFunds,
    balances_by_account,
    entries_between,
    lowest_balance,
    running_balances,
    transfer,
)
from .interest import (
    amortization_schedule,
    amortized_payment,
    compound,
    late_fee,
    periods_to_double,
    simple_interest,
)
from .invoices import (
    Invoice,
    LineItem,
    add_tax,
    apply_discount,
    bulk_discount_percent,
)

__all__ = [
    "Account",
    "InsufficientFunds",
    "Invoice",
    "LineItem",
    "add_tax",
    "allocate",
    "allocate_by_ratio",
    "amortization_schedule",
    "amortized_payment",
    "apply_discount",
    "balances_by_account",
    "bulk_discount_percent",
    "compound",
    "entries_between",
    "format_cents",
    "late_fee",
    "lowest_balance",
    "parse_amount",
    "percent_of",
    "periods_to_double",
    "round_half_up",
    "running_balances",
    "simple_interest",
    "to_cents",
    "transfer",
]
