"""Prices on plans are written as the booking pages write them."""

from decimal import Decimal

import pytest

from bookings.templatetags.booking_tags import money


@pytest.mark.parametrize(
    ("amount", "currency", "written"),
    [
        (Decimal("1800.00"), "GBP", "£1,800.00"),
        (Decimal("450"), "GBP", "£450.00"),
        (Decimal("0.00"), "GBP", "Free"),
        (Decimal("1500.50"), "AED", "AED 1,500.50"),
        (None, "GBP", ""),
    ],
)
def test_an_amount_is_written_with_its_sign_separators_and_free_for_nothing(
    amount, currency, written
):
    assert money(amount, currency) == written
