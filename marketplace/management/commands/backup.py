from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from marketplace.backups import BackupError, backup_create, backups_prune


class Command(BaseCommand):
    help = (
        "Back up the database and the uploaded media into a new timestamped folder under "
        "BACKUP_DIR (var/backups by default), with a manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            help="afterwards delete all but this many newest backups in BACKUP_DIR",
        )

    def handle(self, *args, keep=None, **options):
        if keep is not None and keep < 1:
            raise CommandError("--keep must be 1 or more.")
        backup_dir = Path(settings.BACKUP_DIR)
        try:
            folder = backup_create(backup_dir=backup_dir)
            deleted = backups_prune(backup_dir=backup_dir, keep=keep) if keep else []
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Backup written to {folder}"))
        for old in deleted:
            self.stdout.write(f"Deleted the older backup {old}")
