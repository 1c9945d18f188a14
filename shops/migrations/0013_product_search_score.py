"""Candidates for a search taken best first: a stored score with an index that Postgres can
walk for a frequent word, and a full-text index of titles alone. The search vector's title
weight cannot stand in for the latter: GIN keeps no weights, so `word:A` fetches and
rechecks every product with the word anywhere, and the planner, with no statistics for
weights, takes a frequent description word for a frequent title word."""

from django.conf import settings
from django.db import migrations, models


def title_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    config = settings.SEARCH_CONFIG.replace("'", "")
    schema_editor.execute(
        "CREATE INDEX shops_product_title_fts ON shops_product "
        f"USING gin (to_tsvector('{config}'::regconfig, title))"
    )


def drop_title_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS shops_product_title_fts")


class Migration(migrations.Migration):
    dependencies = [
        ("shops", "0012_search_words"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="search_score",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Case(
                    models.When(
                        models.Q(
                            ("always_available", True), ("stock_quantity__gt", 0), _connector="OR"
                        ),
                        then=1,
                    ),
                    default=0,
                ),
                output_field=models.SmallIntegerField(),
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                models.OrderBy(models.F("search_score"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                condition=models.Q(("is_active", True)),
                name="shops_product_search_score",
            ),
        ),
        migrations.RunPython(title_index, drop_title_index),
    ]
