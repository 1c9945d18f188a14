from decimal import Decimal

from django.db import migrations

LEVELS = [("Friend", 0, Decimal("2.00")), ("Regular", 2000, Decimal("3.00")),
          ("Champion", 10000, Decimal("5.00"))]


def create_levels(apps, schema_editor):
    Level = apps.get_model("loyalty", "Level")
    if not Level.objects.exists():
        Level.objects.bulk_create(
            Level(name=name, threshold=threshold, rate_percent=rate)
            for name, threshold, rate in LEVELS
        )


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_initial")]
    operations = [migrations.RunPython(create_levels, migrations.RunPython.noop)]
