"""A small fixed-window rate limit, counted in Django's default cache.

The counts are shared by every process and app server only if the cache is: Redis in
production (``REDIS_URL``), which `check --deploy` insists on. The local-memory cache used in
development counts in each process alone, so with N worker processes a limit lets N times as
many requests through, and a restart forgets every count.
"""

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
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


def hit(key: str, seconds: int) -> int:
    """Count one hit on ``key``, kept ``seconds``; return the count so far.

    Hits counted at the same moment by any process on any app server are never lost: on Redis
    the count is made in one round trip (``_redis_hit``), elsewhere ``add`` and ``incr``.
    """
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return _redis_hit(backend, key, seconds)
    if backend.add(key, 1, timeout=seconds):
        return 1
    try:
        return backend.incr(key)
    except ValueError:
        # The key expired between the two calls: its window is over, so this hit is a first.
        return 1


def _redis_hit(backend: RedisCache, key: str, seconds: int) -> int:
    """Count one hit on Redis: create the key with its expiry if missing, then add one, in one
    MULTI/EXEC sent at once.

    Through the cache's own ``add``, ``incr`` (which asks whether the key exists first) and a
    ``touch`` for a key that expired between them, it took three round trips on every booking
    POST. Run as one transaction, the key cannot expire between its creation and its count, so
    it never lives on without an expiry. The count is kept as a plain integer, as the cache's
    own serializer keeps integers, under the key the cache would use.
    """
    redis_key = backend.make_and_validate_key(key)
    client = backend._cache.get_client(redis_key, write=True)
    with client.pipeline(transaction=True) as pipe:
        pipe.set(redis_key, 0, ex=seconds, nx=True)
        pipe.incr(redis_key)
        _, count = pipe.execute()
    return count


def allow(request, scope: str, limit: int, window_seconds: int = 3600) -> bool:
    """Count one request of ``scope`` from this address; False once over ``limit`` per window.

    Windows are fixed (each hour from the top of the hour, for the default), and a window's
    counter is kept until that window ends, not a whole window from its first request.
    """
    bucket, seconds_left = window(window_seconds)
    key = f"ratelimit:{scope}:{client_address(request)}:{bucket}"
    return hit(key, seconds_left) <= limit


def window(window_seconds: int) -> tuple[int, int]:
    """The current fixed window's number, and how long its counter must be kept."""
    now = time.time()
    bucket = int(now // window_seconds)
    # One second more than what is left of the window, so that it never rounds down to 0
    # (which the cache takes for "expire at once").
    return bucket, int((bucket + 1) * window_seconds - now) + 1


def digest(text: str) -> str:
    """A key part for something that must not sit in the cache as itself (an e-mail address)."""
    return hashlib.sha256(text.encode()).hexdigest()


def too_many(request, template="clinic/too_many.html"):
    return render(request, template, status=429)
