from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from marketplace.backups import BackupError, backup_check, backup_restore, other_sessions


class Command(BaseCommand):
    help = (
        "Restore the database and the uploaded media from a folder written by `backup`. "
        "Stop the web server and the workers first."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="the backup folder, or its name under BACKUP_DIR")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )

    def handle(self, *args, folder, interactive=True, **options):
        path = Path(folder)
        if not path.exists() and (Path(settings.BACKUP_DIR) / folder).exists():
            path = Path(settings.BACKUP_DIR) / folder
        try:
            manifest = backup_check(folder=path)
            if interactive and not self._confirmed(manifest):
                raise CommandError("Restore cancelled.")
            if sessions := other_sessions():
                self.stdout.write(
                    self.style.WARNING(
                        f"{sessions} other sessions are connected to the database. If the "
                        "restore waits, stop the web server and the workers."
                    )
                )
            report = backup_restore(folder=path)
        except BackupError as error:
            raise CommandError(str(error)) from error

        self.stdout.write(
            self.style.SUCCESS(f"Restored the backup of {manifest['created_at']} from {path}")
        )
        if report.unknown_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"The backup was made by newer code than this (commit {_commit(manifest)}): "
                    "it has migrations this code does not know. Run that version of Commonplace."
                )
            )
        elif report.unapplied_migrations:
            self.stdout.write(
                "The backup was made by older code: run `python manage.py migrate` now."
            )
        if report.count_differences:
            lines = [
                f"  {label}: {expected} in the backup, {found} now"
                for label, (expected, found) in report.count_differences.items()
            ]
            raise CommandError(
                "The database was restored, but these tables do not hold the rows the backup "
                "counted:\n" + "\n".join(lines)
            )

    def _confirmed(self, manifest) -> bool:
        database = connection.settings_dict
        where = database.get("HOST") or "this machine"
        self.stdout.write(
            f"This replaces the database {database['NAME']} on {where} with the backup made "
            f"{manifest['created_at']} (code {_commit(manifest)}), and writes its "
            f"{manifest['media'].get('files', 'the')} media files into "
            f"{settings.MEDIA_ROOT}.\nEverything since that backup is lost."
        )
        return input("Type 'yes' to restore: ").strip().lower() == "yes"


def _commit(manifest) -> str:
    app = manifest.get("app")
    return (app.get("commit") if isinstance(app, dict) else None) or "unknown"
