"""Rate limits counted in the shared cache: atomic across processes, one window's keys at a time."""

import multiprocessing
import types

import pytest
from django.test import RequestFactory, override_settings

from clinic import ratelimit

HOUR = 3600


@pytest.fixture
def redis_cache(redis_server, redis_key_prefix):
    """The default cache on Redis, as production has it, under this test's own key prefix."""
    import redis

    cache_settings = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server,
            "KEY_PREFIX": redis_key_prefix,
        }
    }
    with override_settings(CACHES=cache_settings):
        yield redis.Redis.from_url(redis_server), redis_key_prefix


def request_from(address):
    return RequestFactory().post("/", REMOTE_ADDR=address)


def _count_in_a_process(args):
    """Send ``hits`` requests through the limit in a forked process; return how many passed."""
    hits, limit = args
    request = request_from("203.0.113.7")
    return sum(ratelimit.allow(request, "test-scope", limit) for _ in range(hits))


def test_hits_from_several_processes_add_up_to_exactly_the_limit(redis_cache):
    processes, hits, limit = 4, 40, 70
    # Forked processes, like gunicorn's workers: each with its own memory and connections.
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        passed = pool.map(_count_in_a_process, [(hits, limit)] * processes)
    assert sum(passed) == limit, passed


def test_a_windows_counter_is_kept_until_the_window_ends_not_for_a_window_more(
    redis_cache, monkeypatch
):
    client, prefix = redis_cache
    half_past = 500_000 * HOUR + 1800.25
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: half_past))
    assert ratelimit.allow(request_from("203.0.113.7"), "test-scope", 5)
    (key,) = client.keys(f"{prefix}:*")
    # Half an hour is left of this window: its key goes then (and a second), not an hour on.
    assert 1799 <= client.ttl(key) <= 1801


def test_the_limit_counts_each_window_afresh(monkeypatch):
    now = [500_000 * HOUR + 10.0]
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: now[0]))
    request = request_from("203.0.113.7")
    assert [ratelimit.allow(request, "test-scope", 2) for _ in range(3)] == [True, True, False]
    now[0] += HOUR
    assert ratelimit.allow(request, "test-scope", 2)
