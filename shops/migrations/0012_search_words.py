"""The lexicon of catalogue words that search corrects typing mistakes against.

On Postgres the counts are kept by statement-level triggers with transition tables, so a bulk
insert of 10,000 products costs one upsert of its words, not one per row; words are upserted
in sorted order, so concurrent writers lock them in the same order. A GiST trigram index
finds the words nearest a typed one (`<->`), and answers whether a typed word is part of a
catalogue word (`LIKE`). Renaming a category recounts every word (rare, and only a second
or two at 100,000 products). On SQLite the table stays empty: shops.catalogue_words computes
the same words in Python there."""

from django.db import migrations, models

# A product's words: letters only, at least three, from its title and its category's and
# parent category's names; the same rule as shops.catalogue_words.WORD.
FORWARD = """
CREATE OR REPLACE FUNCTION shops_catalogue_words(title text, category bigint) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(DISTINCT w), '{}')
    FROM regexp_split_to_table(lower(
        coalesce(title, '') || ' ' || coalesce((
            SELECT c.name || ' ' || coalesce(parent.name, '')
            FROM shops_category c LEFT JOIN shops_category parent ON parent.id = c.parent_id
            WHERE c.id = category), '')
    ), '[^[:alpha:]]+') AS w
    WHERE length(w) BETWEEN 3 AND 100
$$;

CREATE OR REPLACE FUNCTION shops_search_words_rebuild() RETURNS void LANGUAGE sql AS $$
    WITH counted AS (
        SELECT w AS word, count(*) AS products
        FROM shops_product p, unnest(shops_catalogue_words(p.title, p.category_id)) AS w
        WHERE p.is_active
        GROUP BY w
    ), gone AS (
        DELETE FROM shops_searchword s WHERE NOT EXISTS (
            SELECT 1 FROM counted WHERE counted.word = s.word)
    )
    INSERT INTO shops_searchword AS s (word, products)
    SELECT word, products FROM counted ORDER BY word
    ON CONFLICT (word) DO UPDATE SET products = EXCLUDED.products
    WHERE s.products <> EXCLUDED.products;
$$;

-- Transition tables have no statistics: without the setting, an update of many rows can
-- join old and new rows in a nested loop (minutes for 100,000 rows instead of a hash join).
-- The nested loop it still must take (the LATERAL words) then costs as a disabled plan,
-- far above jit_above_cost: without jit = off every stock change at checkout spent
-- 170-380 ms compiling this statement.
CREATE OR REPLACE FUNCTION shops_search_words_count() RETURNS trigger
LANGUAGE plpgsql SET enable_nestloop = off SET jit = off AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO shops_searchword AS s (word, products)
        SELECT w, count(*)
        FROM new_rows n, unnest(shops_catalogue_words(n.title, n.category_id)) AS w
        WHERE n.is_active
        GROUP BY w ORDER BY w
        ON CONFLICT (word) DO UPDATE SET products = s.products + EXCLUDED.products;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO shops_searchword AS s (word, products)
        SELECT w, -count(*)
        FROM old_rows o, unnest(shops_catalogue_words(o.title, o.category_id)) AS w
        WHERE o.is_active
        GROUP BY w ORDER BY w
        ON CONFLICT (word) DO UPDATE SET products = s.products + EXCLUDED.products;
    ELSE
        -- Most updates (stock, prices) change no word: only renamed, moved, (de)activated
        -- products count.
        INSERT INTO shops_searchword AS s (word, products)
        SELECT w, sum(delta)
        FROM (
            SELECT o.title AS old_title, o.category_id AS old_category,
                   o.is_active AS was_active, n.title, n.category_id, n.is_active
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o.title IS DISTINCT FROM n.title
               OR o.category_id IS DISTINCT FROM n.category_id
               OR o.is_active IS DISTINCT FROM n.is_active
        ) AS changed,
        LATERAL (
            SELECT w, 1 AS delta
            FROM unnest(shops_catalogue_words(changed.title, changed.category_id)) AS w
            WHERE changed.is_active
            UNION ALL
            SELECT w, -1
            FROM unnest(shops_catalogue_words(changed.old_title, changed.old_category)) AS w
            WHERE changed.was_active
        ) AS words
        GROUP BY w HAVING sum(delta) <> 0 ORDER BY w
        ON CONFLICT (word) DO UPDATE SET products = s.products + EXCLUDED.products;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER shops_search_words_insert AFTER INSERT ON shops_product
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shops_search_words_count();
CREATE TRIGGER shops_search_words_update AFTER UPDATE ON shops_product
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shops_search_words_count();
CREATE TRIGGER shops_search_words_delete AFTER DELETE ON shops_product
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shops_search_words_count();

CREATE OR REPLACE FUNCTION shops_search_words_category_renamed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM shops_search_words_rebuild();
    RETURN NULL;
END
$$;

CREATE TRIGGER shops_search_words_category_renamed AFTER UPDATE ON shops_category
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name
                       OR OLD.parent_id IS DISTINCT FROM NEW.parent_id)
    EXECUTE FUNCTION shops_search_words_category_renamed();

CREATE INDEX shops_searchword_word_trgm ON shops_searchword USING gist (word gist_trgm_ops);

SELECT shops_search_words_rebuild();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS shops_search_words_category_renamed ON shops_category;
DROP TRIGGER IF EXISTS shops_search_words_insert ON shops_product;
DROP TRIGGER IF EXISTS shops_search_words_update ON shops_product;
DROP TRIGGER IF EXISTS shops_search_words_delete ON shops_product;
DROP FUNCTION IF EXISTS shops_search_words_category_renamed();
DROP FUNCTION IF EXISTS shops_search_words_count();
DROP FUNCTION IF EXISTS shops_search_words_rebuild();
DROP FUNCTION IF EXISTS shops_catalogue_words(text, bigint);
DROP INDEX IF EXISTS shops_searchword_word_trgm;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("shops", "0011_stock_allocated")]

    operations = [
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                (
                    "word",
                    models.CharField(
                        max_length=100, primary_key=True, serialize=False, verbose_name="word"
                    ),
                ),
                ("products", models.IntegerField(default=0, verbose_name="products")),
            ],
            options={
                "verbose_name": "catalogue word",
                "verbose_name_plural": "catalogue words",
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
