"""Candidates for a search taken best first: a stored score with an index that Postgres can
walk for a frequent word, and a search vector of the title alone with its GIN index, filled
by the search-vector trigger. The search vector's title weight cannot stand in for it: GIN
keeps no weights, so `word:A` fetches and rechecks every product with the word anywhere, and
the planner, with no statistics for weights, takes a frequent description word for a
frequent title word. (An index on the expression to_tsvector(title) would recompute it for
every row a phrase query rechecks.)"""

import django.contrib.postgres.search
from django.conf import settings
from django.db import migrations, models


FORWARD = """
CREATE OR REPLACE FUNCTION shops_product_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.title_vector := to_tsvector('{config}', coalesce(NEW.title, ''));
    NEW.search_vector :=
        setweight(NEW.title_vector, 'A') ||
        setweight(to_tsvector('{config}', coalesce(
            (SELECT name FROM shops_category WHERE id = NEW.category_id), '')), 'B') ||
        setweight(to_tsvector('{config}', coalesce(NEW.description, '')), 'C');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

-- The index first: Django's foreign keys are deferred, and an index cannot be built on a
-- table with checks still pending from an update in the same transaction.
CREATE INDEX shops_product_title_vector_gin ON shops_product USING gin (title_vector);

UPDATE shops_product SET title_vector = to_tsvector('{config}', coalesce(title, ''));
"""

# As shops/migrations/0002_search.py left it.
BACKWARD = """
DROP INDEX IF EXISTS shops_product_title_vector_gin;
CREATE OR REPLACE FUNCTION shops_product_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('{config}', coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('{config}', coalesce(
            (SELECT name FROM shops_category WHERE id = NEW.category_id), '')), 'B') ||
        setweight(to_tsvector('{config}', coalesce(NEW.description, '')), 'C');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""


def title_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        config = settings.SEARCH_CONFIG.replace("'", "")
        schema_editor.execute(FORWARD.replace("{config}", config))


def no_title_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        config = settings.SEARCH_CONFIG.replace("'", "")
        schema_editor.execute(BACKWARD.replace("{config}", config))


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
        migrations.AddField(
            model_name="product",
            name="title_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(title_vector, no_title_vector),
    ]
