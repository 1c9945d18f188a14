"""Catalogue writes on Postgres: importing a 10,000-row CSV (check and preview, then apply in
one transaction) and the inventory API's batch upsert of 1,000 products (create, then update),
through the same code the dashboard and tills use. Run by bench/run.py; prints JSON.

    DATABASE_URL=postgres://... DJANGO_SETTINGS_MODULE=marketplace.settings.dev DEBUG=0 \
        PYTHONPATH=. .venv/bin/python bench/catalogue.py --rows 10000 --batch 1000
"""

import argparse
import json
import secrets
import sys
import time

import django


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1_000)
    return parser.parse_args()


def main():
    args = parse_args()
    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from shops import services
    from shops.models import Product, ProductImport, Shop

    settings.ALLOWED_HOSTS = ["*"]
    settings.API_RATE_LIMIT_PER_MINUTE = 1_000_000
    stamp = secrets.token_hex(3)
    shop = Shop.objects.create(
        name=f"Bench wholesaler {stamp}",
        slug=f"bench-wholesaler-{stamp}",
        status="active",
        street="Dock 1",
        postcode="10115",
        city="Lindenfeld",
        latitude=52.52,
        longitude=13.38,
    )
    lines = ["sku,title,price,vat_rate,unit,stock_quantity,labels,category"]
    lines += [
        f"W{n:06d},Wholesale item {n},{1 + n % 50}.{n % 100:02d},7,piece,{n % 40},,food/pantry"
        for n in range(args.rows)
    ]
    content = ("\n".join(lines) + "\n").encode()
    print(f"importing {args.rows} rows…", file=sys.stderr)
    started = time.perf_counter()
    product_import = services.product_import_preview(
        shop=shop, user=None, upload=SimpleUploadedFile("bench.csv", content)
    )
    preview_s = time.perf_counter() - started
    assert product_import.status == ProductImport.Status.PREVIEWED, product_import.errors[:3]
    ProductImport.objects.filter(pk=product_import.pk).update(status="applying")
    started = time.perf_counter()
    services.product_import_apply(import_id=product_import.pk)
    apply_s = time.perf_counter() - started
    product_import.refresh_from_db()
    assert product_import.status == ProductImport.Status.APPLIED, product_import.message
    assert Product.objects.filter(shop=shop).count() == args.rows

    _token, secret = services.api_token_create(shop=shop, name="bench", user=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = f"/api/v1/shops/{shop.pk}/products/batch"

    def batch(price):
        items = [
            {"sku": f"API{n:05d}", "title": f"Till item {n}", "price": price, "stock_quantity": n}
            for n in range(args.batch)
        ]
        body = json.dumps({"products": items})
        begin = time.perf_counter()
        response = client.post(url, body, content_type="application/json")
        elapsed = time.perf_counter() - begin
        assert response.status_code == 200, response.content[:300]
        return elapsed, response.json()

    print(f"API batch of {args.batch}…", file=sys.stderr)
    create_s, created = batch("2.50")
    update_s, updated = batch("2.60")
    unchanged_s, unchanged = batch("2.60")
    print(
        json.dumps(
            {
                "import_rows": args.rows,
                "import_preview_s": round(preview_s, 2),
                "import_apply_s": round(apply_s, 2),
                "import_rows_per_s": round(args.rows / apply_s),
                "api_batch": args.batch,
                "api_create_s": round(create_s, 2),
                "api_update_s": round(update_s, 2),
                "api_unchanged_s": round(unchanged_s, 2),
                "api_results": [created, updated, unchanged],
            }
        )
    )


if __name__ == "__main__":
    main()
