"""A small fixed-window rate limit on Django's cache, shared by every app server using it."""

import time

from django.core.cache import cache
from django.shortcuts import render


def client_address(request) -> str:
    # The proxy in front of production is expected to overwrite REMOTE_ADDR (e.g. gunicorn's
    # --forwarded-allow-ips); a client-supplied X-Forwarded-For header is never trusted here.
    return request.META.get("REMOTE_ADDR", "unknown")


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


def too_many(request):
    return render(request, "clinic/too_many.html", status=429)
