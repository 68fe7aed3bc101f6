"""A small fixed-window rate limit on Django's cache, shared by every app server using it."""

import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render


def _address_or_none(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """Return the client's IP address, as seen by the first proxy we trust; None if unknown.

    Behind N trusted proxies (``TRUSTED_PROXY_COUNT``), the client is the N-th address from the
    right of X-Forwarded-For: entries further left were written by the client and can be forged.
    When that entry is missing or is not an address (a request that did not come through the
    proxy), the connection's own address is used, so that made-up text never becomes a fresh
    identity, nor reaches an IP-address column. django-axes reads the address here too
    (``AXES_CLIENT_IP_CALLABLE``), so that its lockout and these limits count the same client.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies and (address := _address_or_none(forwarded[-proxies])):
            return address
    return _address_or_none(request.META.get("REMOTE_ADDR") or "")


def client_address(request) -> str:
    """Return the client's address (see ``client_ip``), or "unknown"."""
    return client_ip(request) or "unknown"


def allow(request, scope: str, limit: int, window_seconds: int = 3600) -> bool:
    """Count one request of ``scope`` from this address; False once over ``limit`` per window."""
    bucket = int(time.time() // window_seconds)
    key = f"ratelimit:{scope}:{client_address(request)}:{bucket}"
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count <= limit


def too_many(request, template="clinic/too_many.html"):
    return render(request, template, status=429)
