import pytest

from ledger.invoices import (
    Invoice,
    LineItem,
    add_tax,
    apply_discount,
    bulk_discount_percent,
)


def test_apply_discount_exact():
    assert apply_discount(1000, 10) == 900
    assert apply_discount(1000, 0) == 1000


def test_apply_discount_rounding():
    assert apply_discount(250, 3) == 242
    assert apply_discount(49, 1) == 49


def test_add_tax_exact():
    assert add_tax(1000, 20) == 1200


def test_add_tax_rounding():
    assert add_tax(250, 3) == 258
    assert add_tax(49, 1) == 49


def test_bulk_discount_small_orders():
    assert bulk_discount_percent(9) == 0
    assert bulk_discount_percent(10) == 5
    assert bulk_discount_percent(49) == 5


def test_bulk_discount_large_orders():
    assert bulk_discount_percent(50) == 10
    assert bulk_discount_percent(99) == 10
    assert bulk_discount_percent(100) == 15


def test_invoice_add_returns_item():
    invoice = Invoice("INV-1")
    item = invoice.add("pen", 250, 2)
    assert (item.description, item.unit_price, item.quantity) == ("pen", 250, 2)
    assert invoice.items == [item]


def test_invoice_add_single_unit():
    invoice = Invoice("INV-1")
    assert invoice.add("pad", 400).quantity == 1
    with pytest.raises(ValueError):
        invoice.add("pen", 250, 0)


def test_invoice_subtotal():
    invoice = Invoice("INV-1")
    invoice.items = [LineItem("pen", 250, 2), LineItem("pad", 400)]
    assert invoice.subtotal() == 900


def test_invoice_subtotal_empty():
    assert Invoice("INV-1").subtotal() == 0


def test_invoice_largest_item():
    invoice = Invoice("INV-1")
    invoice.items = [LineItem("pen", 250, 2), LineItem("pad", 400), LineItem("ink", 90, 3)]
    assert invoice.largest_item() == "pen"


def test_invoice_largest_item_tie_keeps_first():
    invoice = Invoice("INV-1")
    invoice.items = [LineItem("pen", 200, 2), LineItem("pad", 400)]
    assert invoice.largest_item() == "pen"
    assert Invoice("INV-2").largest_item() is None
    invoice.items = [LineItem("gift", 0)]
    assert invoice.largest_item() == "gift"


def test_invoice_total_with_discount_and_tax():
    invoice = Invoice("INV-1", tax_percent=20, discount_percent=10)
    invoice.items = [LineItem("pen", 250, 2), LineItem("pad", 100, 1)]
    assert invoice.total() == 648


def test_invoice_total_defaults():
    invoice = Invoice("INV-1")
    invoice.items = [LineItem("pen", 250, 2)]
    assert invoice.total() == 500
