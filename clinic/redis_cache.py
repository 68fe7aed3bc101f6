"""The shared cache on Redis: Django's own backend, keeping its Redis client.

Django's ``RedisCacheClient`` builds a new ``redis.Redis`` for every cache call, and each one
fills in its table of reply handlers (about 170 entries) before sending anything: some 60 µs
spent again and again on the slot picker (two cache reads a page), on every booking POST (its
rate-limit count) and on every staff sign-in attempt. A ``redis.Redis`` holds no connection of
its own (its pool lends one per command, and checks that it was not inherited across a fork),
so one per pool serves every call. Everything else is Django's backend, unchanged.
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        # By the pool's identity: the backend keeps its pools as long as itself.
        client = self._clients.get(id(pool))
        if client is None:
            client = self._client(connection_pool=pool)
            self._clients[id(pool)] = client
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
