"""Invoices with line items, discounts and tax."""


def apply_discount(amount, percent):
    """Reduce `amount` by `percent` percent, rounding the discount half up."""
    discount = (amount * percent + 50) // 100
    return amount - discount


def add_tax(amount, percent):
    """Increase `amount` by `percent` percent tax, rounding the tax half up."""
    tax = (amount * percent + 50) // 100
    return amount + tax


def bulk_discount_percent(quantity):
    """Discount percent granted for ordering `quantity` units."""
    if quantity >= 100:
        return 15
    if quantity >= 50:
        return 10
    if quantity >= 10:
        return 5
    return 0


class LineItem:
    """One billed product or service."""

    def __init__(self, description, unit_price, quantity=1):
        self.description = description
        self.unit_price = unit_price
        self.quantity = quantity


class Invoice:
    """A list of line items with an optional discount and tax."""

    def __init__(self, number, tax_percent=0, discount_percent=0):
        self.number = number
        self.tax_percent = tax_percent
        self.discount_percent = discount_percent
        self.items = []

    def add(self, description, unit_price, quantity=1):
        """Append a line item and return it."""
        if quantity < 1:
            raise ValueError("quantity must be at least 1")
        item = LineItem(description, unit_price, quantity)
        self.items.append(item)
        return item

    def subtotal(self):
        """Sum of all line totals before discount and tax."""
        return sum(item.unit_price * item.quantity for item in self.items)

    def largest_item(self):
        """Description of the line with the highest total, or None."""
        best = None
        best_total = -1
        for item in self.items:
            line_total = item.unit_price * item.quantity
            if line_total > best_total:
                best = item.description
                best_total = line_total
        return best

    def total(self):
        """Amount due after discount and then tax."""
        discounted = apply_discount(self.subtotal(), self.discount_percent)
        return add_tax(discounted, self.tax_percent)
