"""Collectives that existed before delivery windows get service hours, so delivery keeps
being offered after the upgrade: weekdays 08:00–20:00 and Saturday 09:00–18:00, which the
collective's dispatchers can change in the admin."""

import datetime

from django.db import migrations

DEFAULT_HOURS = [(day, "08:00", "20:00") for day in range(5)] + [(5, "09:00", "18:00")]


def give_default_hours(apps, schema_editor):
    Collective = apps.get_model("logistics", "Collective")
    ServiceHours = apps.get_model("logistics", "ServiceHours")
    without = Collective.objects.filter(service_hours__isnull=True)
    ServiceHours.objects.bulk_create(
        ServiceHours(
            collective=collective,
            weekday=weekday,
            opens=datetime.time.fromisoformat(opens),
            closes=datetime.time.fromisoformat(closes),
        )
        for collective in without
        for weekday, opens, closes in DEFAULT_HOURS
    )


class Migration(migrations.Migration):
    dependencies = [("logistics", "0007_delivery_windows")]

    operations = [migrations.RunPython(give_default_hours, migrations.RunPython.noop)]
