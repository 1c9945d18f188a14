"""Search on Postgres: pg_trgm for typo tolerance, a trigger that keeps each product's
search vector current on every write path (forms, imports, bulk inserts), and GIN indexes.
On SQLite nothing happens and search falls back to plain matching."""

from django.conf import settings
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

FORWARD = """
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

CREATE TRIGGER shops_product_search_vector_update
    BEFORE INSERT OR UPDATE OF title, description, category_id ON shops_product
    FOR EACH ROW EXECUTE FUNCTION shops_product_search_vector();

CREATE INDEX shops_product_search_vector_gin ON shops_product USING gin (search_vector);
CREATE INDEX shops_product_title_trgm ON shops_product USING gin (title gin_trgm_ops);
"""

BACKWARD = """
DROP INDEX IF EXISTS shops_product_title_trgm;
DROP INDEX IF EXISTS shops_product_search_vector_gin;
DROP TRIGGER IF EXISTS shops_product_search_vector_update ON shops_product;
DROP FUNCTION IF EXISTS shops_product_search_vector();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    config = settings.SEARCH_CONFIG.replace("'", "")
    schema_editor.execute(FORWARD.replace("{config}", config))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("shops", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(forwards, backwards),
    ]
