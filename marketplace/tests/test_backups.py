"""Backups: `manage.py backup` and `manage.py restore` (`make backup`, `make restore`)."""

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from djmoney.money import Money
from PIL import Image

from loyalty import services as loyalty_services
from loyalty.models import Account, Entry
from marketplace import backups
from marketplace.tests.factories import UserFactory
from orders import services as order_services
from orders.models import Order
from orders.tests.factories import cart_with, open_shop, pickup_request
from shops.models import Shop
from shops.tests.factories import ProductFactory


def collected_order(shop, customer, price="20.00"):
    product = ProductFactory(shop=shop, price=Money(price, "EUR"))
    cart = cart_with([(product, "1")], user=customer)
    purchase = order_services.checkout_place(
        cart=cart, customer=customer, request=pickup_request([shop])
    )
    order = purchase.orders.get()
    for status in ("accepted", "ready"):
        order_services.order_transition(order=order, to_status=status)
    order_services.order_collect_with_code(order=order, code=order.pickup_code, actor=None)
    return order


def png() -> bytes:
    stream = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(stream, "PNG")
    return stream.getvalue()


def ledger_state() -> dict:
    return {
        "trial_balance": loyalty_services.trial_balance(),
        "entries": Entry.objects.count(),
        "balances": dict(Account.objects.order_by("pk").values_list("pk", "balance")),
    }


def drop_everything() -> None:
    """What a lost database looks like: no tables at all."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    else:
        connection.ensure_connection()
        with sqlite3.connect(":memory:") as empty:
            empty.backup(connection.connection)
    connection.close()


@pytest.fixture
def _database_rebuilt_if_lost():
    """If a restore under test fails, the test database is left without tables: build it
    again so the tests after this one still find one."""
    yield
    if "django_migrations" not in connection.introspection.table_names():
        call_command("migrate", verbosity=0)


@pytest.fixture
def backup_dir(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    return settings.BACKUP_DIR


@pytest.mark.django_db(transaction=True)
def test_backup_drop_restore_drill(backup_dir, _database_rebuilt_if_lost):
    # Given orders, points earned on them and spent at a shop, and a shop's logo
    shop = open_shop()
    customers = [UserFactory(), UserFactory()]
    for customer in customers:
        collected_order(shop, customer)
    order_services.checkout_place(
        cart=cart_with([(ProductFactory(shop=shop), "1")], user=customers[0]),
        customer=customers[0],
        request=pickup_request([shop]),
    )
    loyalty_services.points_redeem(user=customers[1], shop=shop, points=30, key="till-1")
    shop.logo.save("logo.png", ContentFile(png()))
    orders_before, ledger_before = Order.objects.count(), ledger_state()
    assert orders_before == 3 and ledger_before["entries"] >= 6
    assert ledger_before["trial_balance"]["balanced"]

    # When the node is backed up, then loses its database and its media, and is restored
    call_command("backup", stdout=io.StringIO())
    (folder,) = backup_dir.iterdir()
    drop_everything()
    shutil.rmtree(settings.MEDIA_ROOT)
    assert connection.introspection.table_names() == []
    out = io.StringIO()
    call_command("restore", str(folder), interactive=False, stdout=out)

    # Then the orders, the ledger and the logo are back, exactly as they were
    assert "Restored the backup" in out.getvalue()
    assert Order.objects.count() == orders_before
    assert ledger_state() == ledger_before
    restored = Shop.objects.get(pk=shop.pk)
    with restored.logo.open("rb") as logo:
        assert logo.read() == png()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["counts"]["orders.order"] == orders_before
    assert manifest["media"]["files"] == 1
    assert "orders" in manifest["migrations"]


def write_backup(folder: Path, **changes) -> Path:
    """A syntactically complete backup folder for the checks that come before any restore."""
    folder.mkdir(parents=True)
    (folder / "database.dump").write_bytes(b"not really a dump")
    with tarfile.open(folder / "media.tar", "w"):
        pass
    manifest = {
        "format": backups.FORMAT,
        "format_version": backups.FORMAT_VERSION,
        "created_at": "2030-01-01T00:00:00+00:00",
        "app": {"version": "0.1.0", "commit": None},
        "database": {
            "engine": connection.vendor,
            "file": "database.dump",
            "sha256": backups._sha256(folder / "database.dump"),
        },
        "media": {"file": "media.tar", "sha256": backups._sha256(folder / "media.tar")},
        "migrations": {},
        "counts": {},
        **changes,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def damaged(folder: Path) -> Path:
    (folder / "database.dump").write_bytes(b"truncated")
    return folder


def escaping_media(folder: Path) -> Path:
    archive = folder / "media.tar"
    with tarfile.open(archive, "w") as tar:
        entry = tarfile.TarInfo("../outside.txt")
        entry.size = 4
        tar.addfile(entry, io.BytesIO(b"evil"))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["media"]["sha256"] = backups._sha256(archive)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make, says",
    [
        (lambda tmp: tmp / "missing", "is not a folder"),
        (lambda tmp: tmp, "it has no manifest.json"),
        (lambda tmp: write_backup(tmp / "b", format="something-else"), "not a Commonplace"),
        (lambda tmp: write_backup(tmp / "b", format_version=99), "backup format 99"),
        (lambda tmp: write_backup(tmp / "b", counts=None), "it lacks counts"),
        (
            lambda tmp: write_backup(
                tmp / "b",
                database={"engine": "mysql", "file": "database.dump", "sha256": ""},
            ),
            "backup of a mysql database",
        ),
        (lambda tmp: damaged(write_backup(tmp / "b")), "is damaged"),
        (lambda tmp: escaping_media(write_backup(tmp / "b")), "cannot be restored"),
        (lambda tmp: write_backup(tmp / "b"), "pg_restore failed|cannot be restored"),
    ],
    ids=[
        "missing",
        "no manifest",
        "foreign",
        "future format",
        "incomplete",
        "other engine",
        "damaged",
        "media escaping",
        "not a database",
    ],
)
def test_restore_refuses_what_is_not_an_intact_backup_and_changes_nothing(tmp_path, make, says):
    shop = open_shop()
    folder = make(tmp_path)
    with pytest.raises(CommandError, match=says):
        call_command("restore", str(folder), interactive=False)
    assert Shop.objects.filter(pk=shop.pk).exists()
    assert not (tmp_path / "outside.txt").exists()


def test_restore_on_the_command_line_refuses_without_a_traceback(tmp_path):
    node = {"DATABASE_URL": f"sqlite:///{tmp_path / 'node.sqlite3'}", "CI": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(tmp_path), "--noinput"],
        cwd=settings.BASE_DIR,
        env={**os.environ, **node},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert f"{tmp_path} is not a backup: it has no manifest.json." in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db(transaction=True)
def test_keep_deletes_the_oldest_backups_and_nothing_else(backup_dir):
    # Given two earlier backups and a folder of the operator's own
    write_backup(backup_dir / "20200101-030000", created_at="2020-01-01T03:00:00+00:00")
    write_backup(backup_dir / "20200102-030000", created_at="2020-01-02T03:00:00+00:00")
    (backup_dir / "notes").mkdir()
    # When a backup keeps the two newest
    out = io.StringIO()
    call_command("backup", keep=2, stdout=out)
    # Then the oldest backup is gone, and nothing else
    remaining = {path.name for path in backup_dir.iterdir()}
    assert len(remaining) == 3 and {"20200102-030000", "notes"} < remaining
    assert "20200101-030000" not in remaining
    assert "Deleted the older backup" in out.getvalue()
