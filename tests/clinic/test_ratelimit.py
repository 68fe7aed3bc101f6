"""Rate limits counted in the shared cache: atomic across processes, one window's keys at a time."""

import multiprocessing
import signal
import sys
import types

import pytest
from django.test import RequestFactory

from clinic import ratelimit

HOUR = 3600


@pytest.fixture
def redis_cache(redis_server, redis_default_cache):
    """The default cache on Redis, as production has it, and a client to look into it."""
    import redis

    return redis.Redis.from_url(redis_server), redis_default_cache


def request_from(address):
    return RequestFactory().post("/", REMOTE_ADDR=address)


def _count_in_a_process(hits, limit):
    """Send ``hits`` requests through the limit in a forked process; exit with how many passed.

    The test process may hold handlers for SIGTERM (Playwright's event loop, say): a forked
    child inherits them, so it goes back to the default first, or a stop could not stop it."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    request = request_from("203.0.113.7")
    sys.exit(sum(ratelimit.allow(request, "test-scope", limit) for _ in range(hits)))


def test_hits_from_several_processes_add_up_to_exactly_the_limit(redis_cache):
    processes, hits, limit = 4, 40, 70
    # Forked processes, like gunicorn's workers: each with its own memory and connections.
    fork = multiprocessing.get_context("fork")
    workers = [
        fork.Process(target=_count_in_a_process, args=(hits, limit)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    hung = [worker for worker in workers if worker.is_alive()]
    for worker in hung:
        worker.kill()
        worker.join()
    assert not hung, "a counting process hung"
    passed = [worker.exitcode for worker in workers]
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


def test_a_hit_on_redis_is_one_round_trip_and_its_key_always_expires(redis_cache, monkeypatch):
    import redis

    client, prefix = redis_cache
    sent = []
    original = redis.connection.Connection.send_packed_command

    def counting(connection, command, check_health=True):
        sent.append(command)
        return original(connection, command, check_health)

    request = request_from("203.0.113.7")
    # The connection is opened (and greets the server) on a first hit of another scope.
    assert ratelimit.allow(request, "other-scope", 2)
    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counting)
    assert [ratelimit.allow(request, "test-scope", 2) for _ in range(3)] == [True, True, False]
    # Each hit, the first of its window or not, is one request to Redis.
    assert len(sent) == 3
    (key,) = client.keys(f"{prefix}:*test-scope*")
    assert int(client.get(key)) == 3
    assert client.ttl(key) > 0
