"""Reading a page's HTML in tests."""

import re

# Attributes whose values are addresses, ids, tokens or nonces: digits a page shows of no
# record, which a test that a number is not shown must not trip on; and the CSRF token's value.
_ADDRESSES = re.compile(
    r'\s(?:href|src|action|nonce|id|for|aria-controls)="[^"]*"'
    r'|name="csrfmiddlewaretoken" value="[^"]*"'
)


def without_addresses(html: str) -> str:
    """``html`` without the values of attributes that carry addresses, ids, tokens or nonces;
    its text and every other attribute (titles, labels, data) kept."""
    return _ADDRESSES.sub("", html)
