"""Where scalp photos live: the "private" storage, never under a public URL.

Local files outside the static and media paths by default; an S3-compatible bucket when
``STORAGES["private"]`` says so. Photos are only served through views that check who asks.
"""

from django.core.files.storage import storages


def private_storage():
    return storages["private"]
