"""CPU time per request of the public catalogue pages, in process with Django's test client
under the production settings (DEBUG off, cached templates, no Redis: the cache is this
process's memory, as in `make bench`). Prints ms of CPU per request and queries per request.

    DATABASE_URL=postgres://… .venv/bin/python bench/page_cpu.py [--requests 200] [--profile NAME]
"""

import argparse
import cProfile
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.prod")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.pop("REDIS_URL", None)
os.environ.pop("DEBUG", None)


def pages() -> dict[str, str]:
    from shops.models import Category, Product, Shop

    product = (
        Product.objects.filter(is_active=True, shop__status=Shop.Status.ACTIVE)
        .select_related("shop")
        .order_by("pk")
        .first()
    )
    shop = Shop.objects.filter(status=Shop.Status.ACTIVE).order_by("-pk").first()
    top = Category.objects.filter(parent=None, slug="food").first() or Category.objects.first()
    return {
        "hello": "/healthz",
        "product": product.get_absolute_url(),
        "shop": shop.get_absolute_url(),
        "category": f"/search/?category={top.path}",
        "category_p3": f"/search/?category={top.path}&page=3",
        "home": "/",
        "search_empty": "/search/",
        "search_bread": "/search/?q=bread",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", default="")
    parser.add_argument("--only", default="")
    parser.add_argument(
        "--signed-in", action="store_true", help="as the demo customer: pages not kept whole"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    if args.signed_in:
        from django.contrib.auth import get_user_model

        client.force_login(get_user_model().objects.get(email="customer@lindenfeld.example"))
    for name, path in pages().items():
        if args.only and name not in args.only.split(","):
            continue
        for _ in range(5):  # warm: templates, caches, connection
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        queries = []

        def count(execute, sql, *rest, queries=queries):
            queries.append(sql)
            return execute(sql, *rest)

        # request_started resets connection.queries, so count through a wrapper instead.
        with connection.execute_wrapper(count):
            client.get(path)
        profiler = cProfile.Profile() if name == args.profile else None
        start, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for _ in range(args.requests):
            client.get(path)
        if profiler:
            profiler.disable()
        cpu_ms = (time.process_time() - start) * 1000 / args.requests
        wall_ms = (time.perf_counter() - wall) * 1000 / args.requests
        print(
            f"{name:14} {cpu_ms:7.2f} ms CPU/request {wall_ms:7.2f} ms wall (with the database)"
            f"  {len(queries):3} queries  {path}"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(
                int(os.environ.get("PROFILE_LINES", "45"))
            )


if __name__ == "__main__":
    main()
