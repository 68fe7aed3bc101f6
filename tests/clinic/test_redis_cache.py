"""The shared cache's Redis backend keeps one client per connection pool, on real Redis."""

import multiprocessing
import signal

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.test import override_settings

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


def _count_after_fork(answers):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    backend = caches["default"]
    # CLIENT ID names the server-side connection the command came on.
    answers.put((backend.incr("forked"), backend._cache.get_client().client_id()))


def test_a_forked_worker_uses_its_own_connections(cache):
    # The parent's client has a connection open in its pool, as a gunicorn master's would if
    # it had used the cache before forking its workers.
    cache.set("forked", 0)
    parent_connection = cache._cache.get_client().client_id()
    fork = multiprocessing.get_context("fork")
    answers = fork.Queue()
    children = [fork.Process(target=_count_after_fork, args=(answers,)) for _ in range(3)]
    for child in children:
        child.start()
    counted = [answers.get(timeout=60) for _ in children]
    for child in children:
        child.join(timeout=60)
        if child.is_alive():
            child.kill()
            child.join()
    assert sorted(count for count, _ in counted) == [1, 2, 3]
    # Each child on a connection of its own: none spoke on the parent's socket.
    assert parent_connection not in {connection for _, connection in counted}
    # The parent's own connection still answers, untouched by the children.
    assert cache.incr("forked") == 4
    assert cache._cache.get_client().client_id() == parent_connection


def test_each_server_has_its_own_client(redis_server, redis_default_cache):
    # Writes go to the first server, reads to the others (Django's rule), each through its
    # own pool and so its own client.
    base = redis_server.rsplit("/", 1)[0]
    several = {"default": {**settings.CACHES["default"], "LOCATION": f"{base}/14,{base}/13"}}
    with override_settings(CACHES=several):
        client = caches["default"]._cache
        writer, reader = client.get_client(write=True), client.get_client()
        assert writer.connection_pool is client._pools[0]
        assert reader.connection_pool is client._pools[1]
        assert writer is not reader
        assert client.get_client(write=True) is writer and client.get_client() is reader
