"""Backups a clinic can restore: the PostgreSQL database and every stored file, in one folder.

A backup is a folder named after the moment it was taken, holding

- ``database.dump``: ``pg_dump --format=custom`` of the whole database;
- ``files.tar``: every file a row names (today the scalp photos), read through the storage API,
  so a bucket is backed up like a local folder; each under ``<app>.<model>.<field>/<name>``;
- ``manifest.json``: when, what, SHA-256 of both files, and any row whose file was missing.

The database and the list of files come from one snapshot: ``pg_dump`` runs on a snapshot
exported by the transaction that lists the files, so the dump names exactly the files in the
archive. The folder is written under a hidden name and renamed only once complete, so a folder
with the backup's name is never half-written.

``restore`` goes into a fresh, empty database and never overwrites a file: the files first (a
file already there with the same bytes is skipped, so a failed restore can be run again), then
the database in one transaction.
"""

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.core.files.base import ContentFile
from django.db import connection, models, transaction

FORMAT = 1
DATABASE_FILE = "database.dump"
FILES_ARCHIVE = "files.tar"
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot go on, with a message for the person running it."""


def file_fields():
    """Every file field of every model, by ``<app>.<model>.<field>``."""
    return {
        f"{model._meta.label_lower}.{field.name}": (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.FileField)
    }


def _require_postgresql():
    if connection.vendor != "postgresql":
        raise BackupError(
            f"Backups use pg_dump and pg_restore, for PostgreSQL; this database is "
            f"{connection.vendor}. For a local SQLite file, copy it with "
            "`sqlite3 db.sqlite3 '.backup copy.sqlite3'` while the app is stopped."
        )


def _client_environment():
    """The connection settings as the PostgreSQL client tools read them."""
    db = connection.settings_dict
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", db.get("HOST")),
        ("PGPORT", db.get("PORT")),
        ("PGUSER", db.get("USER")),
        ("PGPASSWORD", db.get("PASSWORD")),
        ("PGDATABASE", db.get("NAME")),
        ("PGSSLMODE", db.get("OPTIONS", {}).get("sslmode")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _run(command):
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (apt-get install postgresql-client).")
    result = subprocess.run(  # noqa: S603 - the PostgreSQL tools, arguments built here
        [tool, *command[1:]],
        env=_client_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")
    return result


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _named_files():
    """Each stored file a row names, as (field label, field, name), in the current snapshot."""
    for label, (model, field) in sorted(file_fields().items()):
        names = model._base_manager.exclude(**{field.name: ""}).values_list(field.name, flat=True)
        for name in names.order_by(field.name).distinct():
            yield label, field, name


def backup_create(*, root: Path, now: datetime | None = None) -> tuple[Path, dict]:
    """Write a backup folder under ``root``; return its path and its manifest."""
    _require_postgresql()
    now = now or datetime.now(UTC)
    root.mkdir(parents=True, exist_ok=True)
    name = f"clinic-{now:%Y%m%d-%H%M%S}Z"
    final = root / name
    if final.exists():
        raise BackupError(f"{final} already exists.")
    partial = root / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        manifest = _write_backup(partial, now)
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final, manifest


def _write_backup(folder: Path, now: datetime) -> dict:
    files, missing = 0, []
    # One snapshot for the dump and the list of files. It is read-only and holds no lock that
    # would stop the clinic from booking while the backup runs.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        _run(
            [
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={folder / DATABASE_FILE}",
            ]
        )
        with tarfile.open(folder / FILES_ARCHIVE, "w") as archive:
            for label, field, name in _named_files():
                try:
                    with field.storage.open(name, "rb") as stored:
                        content = stored.read()
                except FileNotFoundError:
                    # Deleted by a change committed after the snapshot, or lost before it.
                    missing.append(f"{label}/{name}")
                    continue
                entry = tarfile.TarInfo(f"{label}/{name}")
                entry.size = len(content)
                entry.mtime = int(now.timestamp())
                archive.addfile(entry, io.BytesIO(content))
                files += 1
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "database": connection.settings_dict["NAME"],
        "files": files,
        "missing_files": missing,
        "sha256": {
            DATABASE_FILE: _sha256(folder / DATABASE_FILE),
            FILES_ARCHIVE: _sha256(folder / FILES_ARCHIVE),
        },
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{folder} is not a complete backup: {error}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder} was written in a format this version cannot read.")
    for file_name in (DATABASE_FILE, FILES_ARCHIVE):
        expected = manifest.get("sha256", {}).get(file_name)
        if not (folder / file_name).is_file() or _sha256(folder / file_name) != expected:
            raise BackupError(f"{folder / file_name} is missing or damaged (checksum differs).")
    return manifest


def _archived_files(folder: Path):
    """Each archived file as (field, name, bytes), refusing any name outside its field."""
    fields = file_fields()
    with tarfile.open(folder / FILES_ARCHIVE, "r") as archive:
        for entry in archive:
            if not entry.isfile():
                continue
            label, _, name = entry.name.partition("/")
            path = Path(name)
            if label not in fields or not name or path.is_absolute() or ".." in path.parts:
                raise BackupError(f"Unexpected file in the backup: {entry.name}")
            yield fields[label][1], name, archive.extractfile(entry).read()


def backup_restore(*, folder: Path) -> dict:
    """Restore a backup into this (fresh, empty) database and its file storage."""
    _require_postgresql()
    manifest = _read_manifest(folder)
    tables = connection.introspection.table_names()
    if tables:
        raise BackupError(
            f"The database {connection.settings_dict['NAME']} already has {len(tables)} "
            "tables. A backup is restored into a fresh, empty database only (createdb), so "
            "that nothing is overwritten; point DATABASE_URL at one."
        )
    # Every clash is found before anything is written.
    for field, name, content in _archived_files(folder):
        if field.storage.exists(name):
            with field.storage.open(name, "rb") as stored:
                if stored.read() != content:
                    raise BackupError(f"A different file is already stored as {name}.")
    restored = 0
    for field, name, content in _archived_files(folder):
        if field.storage.exists(name):
            continue
        saved = field.storage.save(name, ContentFile(content))
        if saved != name:
            raise BackupError(f"The storage saved {name} as {saved}; restore stopped.")
        restored += 1
    connection.close()  # pg_restore is the only client while it runs
    _run(
        [
            "pg_restore",
            "--exit-on-error",
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            f"--dbname={connection.settings_dict['NAME']}",
            str(folder / DATABASE_FILE),
        ]
    )
    return {**manifest, "restored_files": restored}
