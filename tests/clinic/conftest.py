import pytest
from django.test import override_settings


@pytest.fixture
def redis_default_cache(redis_server, redis_key_prefix):
    """The default cache on Redis through the backend production uses, under this test's own
    key prefix; yields the prefix."""
    cache_settings = {
        "default": {
            "BACKEND": "clinic.redis_cache.RedisCache",
            "LOCATION": redis_server,
            "KEY_PREFIX": redis_key_prefix,
        }
    }
    with override_settings(CACHES=cache_settings):
        yield redis_key_prefix
