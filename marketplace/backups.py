"""Backups of a node: its database and its uploaded media, written together into one folder
with a manifest, and the restore of such a folder.

A folder holds `manifest.json`, the database (`database.dump`, a `pg_dump -Fc` archive, or
`database.sqlite3`, a copy made with SQLite's online backup API) and `media.tar`. The manifest
says when and from which code the backup was made, which migrations the database had, how many
rows each table held and each file's SHA-256, so a restore can refuse a damaged or foreign
folder before it changes anything, and check afterwards that every row came back.
"""

import hashlib
import importlib.metadata
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction
from django.db.backends.postgresql.client import DatabaseClient
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

FORMAT = "commonplace-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
# Uncompressed: uploads are JPEG and PNG already, so gzip would cost time and save nothing.
MEDIA_ARCHIVE = "media.tar"


class BackupError(Exception):
    """A backup or restore could not be done; the message tells the operator why."""


class NotABackup(BackupError):
    """The folder given to restore is not a complete, intact backup of this kind of node."""


@dataclass
class RestoreReport:
    manifest: dict
    # Tables whose row count differs from the manifest's: {table: (in backup, now)}.
    count_differences: dict = field(default_factory=dict)
    # Migrations the code has that the restored database lacks (run `migrate`), and ones the
    # database has that this code does not know (the backup came from newer code).
    unapplied_migrations: list = field(default_factory=list)
    unknown_migrations: list = field(default_factory=list)


def backup_create(*, backup_dir: Path, using: str = "default") -> Path:
    """Write a backup of the database and media into a new timestamped folder under
    `backup_dir` and return it. The folder is assembled under a hidden name and renamed when
    complete, so an interrupted run never leaves something that looks like a backup. The
    manifest's counts come from the very snapshot that was dumped."""
    connection = connections[using]
    if connection.vendor not in DATABASE_FILES:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")
    created_at = timezone.now()
    name = created_at.strftime("%Y%m%d-%H%M%S")
    # Owner-only: a backup holds every customer's name, address and password hash.
    backup_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = backup_dir / f".{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700)
    try:
        database_file = staging / DATABASE_FILES[connection.vendor]
        if connection.vendor == "postgresql":
            database = _postgres_dump(connection, database_file)
        else:
            database = _sqlite_copy(connection, database_file)
        media = _media_archive(Path(settings.MEDIA_ROOT), staging / MEDIA_ARCHIVE)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": created_at.isoformat(),
            "app": _app_version(),
            "database": {
                "engine": connection.vendor,
                "file": database_file.name,
                "sha256": _sha256(database_file),
                **database["about"],
            },
            "media": {"file": MEDIA_ARCHIVE, "sha256": _sha256(staging / MEDIA_ARCHIVE), **media},
            "migrations": database["migrations"],
            "counts": database["counts"],
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        folder = _free_name(backup_dir, name)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def backups_prune(*, backup_dir: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest backups in `backup_dir` and return what was deleted.
    Only folders with a readable backup manifest count; anything else there is left alone."""
    if keep < 1:
        raise BackupError("Keep at least one backup.")
    found = []
    for folder in backup_dir.iterdir() if backup_dir.is_dir() else []:
        try:
            found.append((_read_manifest(folder)["created_at"], folder.name, folder))
        except NotABackup:
            continue
    found.sort(reverse=True)
    deleted = [folder for _, _, folder in found[keep:]]
    for folder in deleted:
        shutil.rmtree(folder)
    return deleted


def backup_check(*, folder: Path, using: str = "default") -> dict:
    """Return the manifest of `folder` if it can be restored here; raise NotABackup with the
    reason otherwise. Reads every file (checksums, the media archive's entries) and writes
    nothing."""
    manifest = _read_manifest(folder)
    vendor = connections[using].vendor
    engine = manifest["database"]["engine"]
    if engine != vendor:
        raise NotABackup(
            f"{folder} is a backup of a {_ENGINE_NAMES.get(engine, engine)} database, but this "
            f"node uses {_ENGINE_NAMES.get(vendor, vendor)} (see DATABASE_URL)."
        )
    for part in ("database", "media"):
        path = folder / manifest[part]["file"]
        if _sha256(path) != manifest[part]["sha256"]:
            raise NotABackup(
                f"{path} is damaged: its checksum differs from the one in the manifest."
            )
    _check_media_archive(folder / manifest["media"]["file"], Path(settings.MEDIA_ROOT))
    return manifest


def backup_restore(*, folder: Path, using: str = "default") -> RestoreReport:
    """Replace the database and bring the media back from the backup in `folder`.

    Checks the whole folder first (NotABackup changes nothing). The database is restored in
    one transaction: on PostgreSQL by `pg_restore --clean --single-transaction`, on SQLite by
    the online backup API, so a failed restore leaves the database as it was. Then the media
    files are written back in place (files uploaded since the backup stay, unreferenced).
    Finally the row counts are compared with the manifest's."""
    manifest = backup_check(folder=folder, using=using)
    connection = connections[using]
    database_file = folder / manifest["database"]["file"]
    if connection.vendor == "postgresql":
        _postgres_restore(connection, database_file)
    else:
        _sqlite_restore(connection, database_file)
    _media_restore(folder / manifest["media"]["file"], Path(settings.MEDIA_ROOT))
    return _restore_report(connection, manifest)


def other_sessions(*, using: str = "default") -> int:
    """How many other sessions are connected to the database: a running web server or worker
    holds tables that a restore must wait for."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


# The database -------------------------------------------------------------------------------

_ENGINE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


def _postgres_dump(connection, target: Path) -> dict:
    """`pg_dump -Fc` of a snapshot this function holds open, and the counts from the same
    snapshot, so the manifest describes exactly what was dumped."""
    if connection.in_atomic_block:
        raise BackupError("A backup cannot run inside a database transaction.")
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
        snapshot, server_version = cursor.fetchone()
        _run_pg(
            "pg_dump",
            ["--format=custom", f"--snapshot={snapshot}", f"--file={target}"],
            connection,
        )
        tables = set(connection.introspection.table_names(cursor))
        counts, migrations = _contents(cursor, tables)
    return {
        "about": {"server_version": server_version},
        "counts": counts,
        "migrations": migrations,
    }


def _postgres_restore(connection, archive: Path) -> None:
    _refuse_tables_missing_from(connection, archive)
    # Our own session must hold no lock while pg_restore drops and recreates the tables.
    connection.close()
    _run_pg(
        "pg_restore",
        # --no-owner/--no-privileges: the node restoring may use other role names than the
        # one that made the backup; the restoring role owns everything it creates.
        [
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            str(archive),
        ],
        connection,
    )


def _refuse_tables_missing_from(connection, archive: Path) -> None:
    """`pg_restore --clean` drops and recreates the tables in the archive only. A table that
    a later migration added would stay behind (its foreign keys blocking the drop, or
    `migrate` later failing to create it again): say so instead of half-restoring."""
    listing = _run_pg("pg_restore", ["--list", str(archive)], connection, connect=False)
    in_backup = set()
    for line in listing.splitlines():
        parts = line.split()
        # "215; 1259 16390 TABLE public shops_shop owner"
        if len(parts) >= 6 and parts[3] == "TABLE" and parts[4] != "DATA":
            in_backup.add(parts[5])
    with connection.cursor() as cursor:
        extra = sorted(set(connection.introspection.table_names(cursor)) - in_backup)
    if extra:
        raise BackupError(
            "The database has tables the backup does not have ("
            + ", ".join(extra[:5])
            + (", …" if len(extra) > 5 else "")
            + "): it was migrated after the backup was made. Restore into an empty database: "
            "drop and create it again (dropdb/createdb), then run the restore again."
        )


def _run_pg(program: str, args: list[str], connection, connect=True) -> str:
    """Run a PostgreSQL client program against the connection's database. The password goes
    in PGPASSWORD, never on the command line, where `ps` and logs would show it."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} was not found. Install the PostgreSQL client programs of the same "
            "major version as the server (Debian: postgresql-client)."
        )
    settings_dict = connection.settings_dict
    _, env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    command = [executable, *args]
    if connect:
        for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if settings_dict.get(key):
                command.append(f"{option}={settings_dict[key]}")
        if settings_dict.get("NAME"):
            command.append(f"--dbname={settings_dict['NAME']}")
        command.append("--no-password")  # fail, never wait for a password prompt
    env = {**os.environ, **(env or {})}
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        message = completed.stderr.strip() or f"exit status {completed.returncode}"
        raise BackupError(f"{program} failed: {message}")
    return completed.stdout


def _sqlite_copy(connection, target: Path) -> dict:
    """A consistent copy through SQLite's online backup API (a plain file copy could catch
    a write half done); counts and migrations are read from the copy itself."""
    connection.ensure_connection()
    with closing(sqlite3.connect(target)) as copy:
        connection.connection.backup(copy)
        cursor = copy.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = {row[0] for row in cursor.fetchall()}
        counts, migrations = _contents(cursor, tables)
    return {
        "about": {"sqlite_version": sqlite3.sqlite_version},
        "counts": counts,
        "migrations": migrations,
    }


def _sqlite_restore(connection, source: Path) -> None:
    # The backup API writes the whole database under SQLite's lock, or nothing.
    connection.ensure_connection()
    try:
        with closing(sqlite3.connect(source)) as backup:
            backup.backup(connection.connection)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source} cannot be restored: {error}") from error


def _contents(cursor, tables: set[str]) -> tuple[dict, dict]:
    """Rows per model (by label, for tables that exist) and applied migrations per app."""
    counts = {}
    for model in apps.get_models():
        table = model._meta.db_table
        if model._meta.managed and table in tables:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[model._meta.label_lower] = cursor.fetchone()[0]
    migrations = {}
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        for app, name in cursor.fetchall():
            migrations.setdefault(app, []).append(name)
    return dict(sorted(counts.items())), migrations


def _restore_report(connection, manifest: dict) -> RestoreReport:
    with connection.cursor() as cursor:
        counts, _ = _contents(cursor, set(connection.introspection.table_names(cursor)))
    report = RestoreReport(manifest=manifest)
    for label, expected in manifest["counts"].items():
        if counts.get(label) != expected:
            report.count_differences[label] = (expected, counts.get(label))
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    report.unapplied_migrations = [(m.app_label, m.name) for m, _ in plan]
    known = set(executor.loader.graph.nodes)
    report.unknown_migrations = sorted(set(executor.loader.applied_migrations) - known)
    return report


# The media ----------------------------------------------------------------------------------


def _media_archive(media_root: Path, target: Path) -> dict:
    files = size = 0
    with tarfile.open(target, "w") as archive:
        if media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    archive.add(path, arcname=str(path.relative_to(media_root)))
                    files += 1
                    size += path.stat().st_size
    return {"files": files, "bytes": size}


def _check_media_archive(archive_path: Path, media_root: Path) -> None:
    """Every entry must be a plain file or folder that lands inside MEDIA_ROOT."""
    try:
        with tarfile.open(archive_path) as archive:
            for member in archive.getmembers():
                tarfile.data_filter(member, str(media_root))
    except (tarfile.TarError, OSError) as error:
        raise NotABackup(f"{archive_path} cannot be restored: {error}") from error


def _media_restore(archive_path: Path, media_root: Path) -> None:
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive_path) as archive:
        archive.extractall(media_root, filter="data")


# The folder ---------------------------------------------------------------------------------


def _read_manifest(folder: Path) -> dict:
    if not folder.is_dir():
        raise NotABackup(f"{folder} is not a folder.")
    path = folder / MANIFEST
    if not path.is_file():
        raise NotABackup(f"{folder} is not a backup: it has no {MANIFEST}.")
    try:
        manifest = json.loads(path.read_text())
    except (ValueError, OSError) as error:
        raise NotABackup(f"{path} cannot be read: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise NotABackup(f"{folder} is not a Commonplace backup.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise NotABackup(
            f"{folder} was written in backup format {manifest.get('format_version')}; this "
            f"version of Commonplace reads format {FORMAT_VERSION}."
        )
    missing = _missing_keys(manifest)
    if missing:
        raise NotABackup(f"{path} is incomplete: it lacks {', '.join(missing)}.")
    for part in ("database", "media"):
        name = manifest[part]["file"]
        # The files sit beside the manifest: a name that points elsewhere is not ours.
        if not isinstance(name, str) or Path(name).name != name:
            raise NotABackup(f"{path} names a {part} file outside the folder: {name!r}.")
        if not (folder / name).is_file():
            raise NotABackup(f"{folder} is incomplete: {manifest[part]['file']} is missing.")
    return manifest


_REQUIRED_KEYS = {
    "": ("created_at", "counts", "migrations", "database", "media"),
    "database": ("engine", "file", "sha256"),
    "media": ("file", "sha256"),
}


def _missing_keys(manifest: dict) -> list[str]:
    """What the manifest lacks or holds in the wrong shape."""
    missing = [key for key in _REQUIRED_KEYS[""] if manifest.get(key) is None]
    for key in ("counts", "migrations", "database", "media"):
        if key not in missing and not isinstance(manifest[key], dict):
            missing.append(key)
    for part in ("database", "media"):
        if part not in missing:
            missing += [
                f"{part}.{key}" for key in _REQUIRED_KEYS[part] if key not in manifest[part]
            ]
    return missing


def _free_name(backup_dir: Path, name: str) -> Path:
    folder, n = backup_dir / name, 1
    while folder.exists():
        n += 1
        folder = backup_dir / f"{name}-{n}"
    return folder


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _app_version() -> dict:
    try:
        version = importlib.metadata.version("commonplace")
    except importlib.metadata.PackageNotFoundError:
        version = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = None  # the Docker image carries no .git
    return {"version": version, "commit": commit}
