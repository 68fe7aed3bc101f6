"""The shared cache's Redis backend keeps one client per connection pool, on real Redis."""

import multiprocessing
import signal
import sys

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from clinic.redis_cache import RedisCache


@pytest.fixture
def cache(redis_default_cache):
    return caches["default"]


def test_every_call_uses_the_same_client(cache, monkeypatch):
    built = []
    original = cache._cache._client
    monkeypatch.setattr(cache._cache, "_client", lambda **kw: built.append(1) or original(**kw))
    cache.set("a", 1)
    assert cache.get("a") == 1
    assert cache.add("b", 2) and not cache.add("b", 3)
    assert cache.incr("b") == 3
    cache.delete("a")
    assert cache.get("a") is None
    # Django's own backend builds a client for each of those seven calls.
    assert len(built) == 1
    assert cache._cache.get_client() is cache._cache.get_client(write=True)


def test_it_is_django_backend_for_everything_else(cache):
    # The rate limits recognise it (clinic/ratelimit.py), and its values are Django's.
    assert isinstance(cache, DjangoRedisCache) and isinstance(cache, RedisCache)
    cache.set_many({"x": [1, "two"], "y": {"z": 3}}, timeout=30)
    assert cache.get_many(["x", "y", "missing"]) == {"x": [1, "two"], "y": {"z": 3}}
    assert 0 < cache._cache.get_client().ttl(cache.make_and_validate_key("x")) <= 30


def _count_after_fork():
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    counted = caches["default"].incr("forked")
    sys.exit(counted)


def test_a_forked_worker_uses_its_own_connections(cache):
    # The parent's client has a connection open in its pool, as a gunicorn master's would if
    # it had used the cache before forking its workers.
    cache.set("forked", 0)
    assert cache._cache.get_client().connection_pool._created_connections >= 1
    fork = multiprocessing.get_context("fork")
    children = [fork.Process(target=_count_after_fork) for _ in range(3)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=60)
    assert sorted(child.exitcode for child in children) == [1, 2, 3]
    # The parent's own connection still answers, untouched by the children.
    assert cache.incr("forked") == 4
