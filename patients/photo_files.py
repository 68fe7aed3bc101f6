"""Photo files follow the database, since files do not roll back.

- A new file is written under a new, unique name before its row is saved, so that a committed
  row always finds its file, and no file is ever overwritten.
- If the transaction that wrote it fails, the file is deleted again.
- An old file is deleted only after the transaction that removed its row has committed.

A crash (a worker killed mid-request) can then leave a file with no row, never a row whose file
is gone; ``manage.py photos_check`` finds such files and removes them. Everything goes through
the storage API, so the same holds with photos on object storage.
"""

import logging
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.files.base import ContentFile
from django.db import transaction

from patients.storage import private_storage

logger = logging.getLogger(__name__)

# Where new photos go in the private storage (the model field's ``upload_to``).
PHOTO_FOLDER = "scalp-photos"

# The files written inside the innermost open ``photo_transaction`` of this thread or task.
_written: ContextVar[list[str] | None] = ContextVar("photo_files_written", default=None)


@contextmanager
def photo_transaction():
    """Run a block in a transaction; delete the photo files written in it if it fails.

    Nested, each level deletes what it wrote when it fails, and otherwise hands its files on to
    the level above. Called inside a transaction it did not open, it cannot see that
    transaction's fate: a later rollback there leaves files with no row for ``photos_check``.
    """
    parent = _written.get()
    written: list[str] = []
    token = _written.set(written)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        photo_files_delete(written)
        raise
    finally:
        _written.reset(token)
    if parent is not None:
        parent.extend(written)


def photo_file_write(view: str, content: bytes) -> str:
    """Write a new photo file under a name never used before; return its storage name.

    Call it inside ``photo_transaction()``, which deletes the file again if the transaction
    fails.
    """
    written = _written.get()
    if written is None:
        raise RuntimeError("photo_file_write needs an open photo_transaction().")
    # A fresh random name, and the storage refuses to overwrite an existing file anyway: a row
    # committed earlier can never see its file replaced by this one.
    name = private_storage().save(
        f"{PHOTO_FOLDER}/{view}-{uuid.uuid4().hex}.jpg", ContentFile(content)
    )
    written.append(name)
    return name


def photo_file_names(photos) -> list[str]:
    """Return the storage names of these photos' files (a queryset of IntakePhoto)."""
    return [name for name in photos.values_list("image", flat=True) if name]


def photo_files_delete(names) -> None:
    """Delete photo files from storage now; a file already gone is no error."""
    storage = private_storage()
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            # Deleting is tidying up after a change that has already happened: a file left
            # behind is found by photos_check, and the patient's request must not fail for it.
            logger.exception("Could not delete the photo file %s", name)


def photo_files_delete_after_commit(names) -> None:
    """Delete photo files once the current transaction has committed (never if it rolls back)."""
    names = list(names)
    if names:
        transaction.on_commit(lambda: photo_files_delete(names), robust=True)


def photo_open(photo):
    """Return the photo's file opened for reading, or None when the file is missing."""
    try:
        return photo.image.open("rb")
    except (FileNotFoundError, ValueError):
        # ValueError: the row names no file at all.
        logger.error("The file of photo %s (%s) is missing.", photo.pk, photo.image.name)
        return None
