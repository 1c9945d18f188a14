"""Checkouts over HTTP, as customers get them: gunicorn with prod settings, `--clients` (16)
browsers at once, each cart holding goods from two shops.

Setup goes through the ORM and the services (buyers, carts, a signed-in session each, shops
open around the clock so pickup times exist). Then, as a browser does, each client loads
GET /checkout/ with the buyer's session cookie (which gives the CSRF cookie and the form with
its preselected choices), fills in what a person must choose (the first pickup time offered)
and POSTs the form. The two steps run as two timed phases, all the page loads and then all
the posts, so the server's CPU time of each is known apart; the pages are parsed between the
phases, so parsing never competes with the server for a core.

Reports orders per second (a cart of two shops makes two orders) over both phases, latency
per step, and the CPU time of the gunicorn workers and of the Postgres backends per order and
per checkout. Prints one JSON document on stdout; progress goes to stderr.

    PYTHONPATH=. .venv/bin/python bench/checkout_http.py \
        --database-url postgres://postgres@127.0.0.1:5432/commonplace_bench --buyers 400

It changes the bench database (shops opened around the clock, stock raised, buyers added)
and empties the Redis database REDIS_URL (BENCH_REDIS_URL, default db 15) it is given.
"""

import argparse
import http.client
import http.cookies
import json
import os
import random
import re
import secrets
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import django
import http_load
from timing import summarise
from town import open_around_the_clock

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SHOPS_USED = 30
HOT_SHOPS, HOT_PER_SHOP = 5, 4


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--buyers", type=int, default=400, help="carts checked out")
    parser.add_argument("--clients", type=int, default=16, help="browsers at once")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        help="cache and broker of the server, as in production; emptied",
    )
    args = parser.parse_args()
    if not args.database_url:
        parser.error("give --database-url (or DATABASE_URL)")
    return args


def server_environment(args) -> None:
    """Prod settings for this process and the gunicorn it starts: the sessions made here must
    be signed with the server's SECRET_KEY."""
    os.environ.update(
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="marketplace.settings.prod",
        # Each worker keeps its one database connection for the run, so its CPU can be read.
        CONN_MAX_AGE="3600",
    )
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")  # plain HTTP on loopback
    os.environ.pop("DEBUG", None)


# Setup through the ORM ----------------------------------------------------------------------


def prepare_buyers(count: int, rng: random.Random) -> list[dict]:
    """Buyers with a cart of one product from each of two shops and a signed-in session.
    Half the carts hold one of a few popular products, so stock locks really contend."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db.models import F
    from django.test import Client

    from orders import services
    from shops.models import Product, Shop

    shops = list(Shop.objects.filter(status=Shop.Status.ACTIVE).order_by("pk")[:SHOPS_USED])
    by_shop = {
        shop.pk: list(
            Product.objects.filter(shop=shop, is_active=True, unit="piece")
            .order_by("pk")
            .values_list("pk", flat=True)[:200]
        )
        for shop in shops
    }
    by_shop = {pk: products for pk, products in by_shop.items() if products}
    if len(by_shop) < 2:
        raise SystemExit("checkout_http needs two active shops selling by the piece")
    open_around_the_clock(by_shop)
    hot = {shop_id: by_shop[shop_id][:HOT_PER_SHOP] for shop_id in list(by_shop)[:HOT_SHOPS]}

    User = get_user_model()
    stamp = secrets.token_hex(4)
    buyers, used = [], set()
    for n in range(count):
        if rng.random() < 0.5:
            first = rng.choice(list(hot))
            items = [rng.choice(hot[first])]
        else:
            first = rng.choice(list(by_shop))
            items = [rng.choice(by_shop[first])]
        second = rng.choice([shop_id for shop_id in by_shop if shop_id != first])
        items.append(rng.choice(by_shop[second]))
        used.update(items)
        user = User.objects.create_user(
            email=f"bench-http-{stamp}-{n}@example.org", password=None, display_name="Bench Buyer"
        )
        buyers.append({"user": user, "items": items})
    # Stock for every cart, so a refusal means a bug, not an empty shelf.
    Product.objects.filter(pk__in=used).update(stock_quantity=F("stock_quantity") + 10_000)
    products = Product.objects.select_related("shop").in_bulk(used)
    for buyer in buyers:
        cart = services.cart_get_or_create(user=buyer["user"])
        for pk in buyer["items"]:
            services.cart_add(cart=cart, product=products[pk], quantity="1")
        client = Client()  # one each: logging in on a used one would end the last session
        client.force_login(buyer["user"])
        buyer["session"] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return buyers


def orders_of(buyers: list[dict]) -> tuple[int, int]:
    from orders.models import Order, Purchase

    users = [buyer["user"] for buyer in buyers]
    purchases = Purchase.objects.filter(customer__in=users).count()
    return purchases, Order.objects.filter(purchase__customer__in=users).count()


# The form, as a browser fills it --------------------------------------------------------------


class FormReader(HTMLParser):
    """The fields of the page's POST form with the values a browser would send untouched:
    inputs' values, checked radios, each select's selected option (else its first)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_form = False
        self.fields: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}
        self.selects: dict[str, list[str]] = {}
        self._select = self._textarea = None
        self._selected: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.in_form = True
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind == "radio":
                self.radios.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    self.fields[name] = a.get("value", "on")
            elif kind == "checkbox":
                if "checked" in a:
                    self.fields[name] = a.get("value", "on")
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self.fields[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.selects[name] = []
        elif tag == "option" and self._select:
            value = a.get("value", "")
            self.selects[self._select].append(value)
            if "selected" in a:
                self._selected[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select" and self._select:
            options = self.selects[self._select]
            self.fields[self._select] = self._selected.get(
                self._select, options[0] if options else ""
            )
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def filled_form(html: str) -> dict[str, str]:
    """What the customer sends: the page's preselected values, plus what a person must choose
    where the page leaves it open: the first pickup time offered, payment on collection."""
    reader = FormReader()
    reader.feed(html)
    fields = dict(reader.fields)
    if "checkout_token" not in fields or "csrfmiddlewaretoken" not in fields:
        raise ValueError("the checkout page holds no checkout form")
    for name, options in reader.selects.items():
        if name.startswith("slot_") and not fields.get(name):
            fields[name] = next((value for value in options if value), "")
    for name, values in reader.radios.items():
        if name not in fields:
            fields[name] = "on_collection" if "on_collection" in values else values[0]
    if not fields.get("name"):
        fields["name"] = "Bench Buyer"
    return fields


def alert_texts(html: str) -> list[str]:
    """The error messages a refused checkout shows (role="alert"), tags stripped."""
    found = re.findall(r'role="alert"[^>]*>(.*?)</(?:p|div)>', html, flags=re.S)
    return [re.sub(r"<[^>]+>", " ", text).strip()[:200] for text in found][:3]


# HTTP ---------------------------------------------------------------------------------------


def cookies_from(response: http.client.HTTPResponse) -> dict[str, str]:
    jar = http.cookies.SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def run_clients(port: int, buyers: list[dict], clients: int, step) -> float:
    """`clients` threads, each taking the next buyer and running step(conn, buyer) on its
    own connection; returns the wall time."""
    queue = list(reversed(buyers))
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection(http_load.HOST, port, timeout=60)
        while True:
            with lock:
                if not queue:
                    break
                buyer = queue.pop()
            step(conn, buyer)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def load_page(session_cookie: str):
    def step(conn, buyer):
        begun = time.perf_counter()
        try:
            conn.request(
                "GET", "/checkout/", headers={"Cookie": f"{session_cookie}={buyer['session']}"}
            )
            response = conn.getresponse()
            body = response.read().decode()
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            buyer["get"] = {"status": None, "error": repr(error)}
            return
        buyer["get"] = {
            "status": response.status,
            "ms": (time.perf_counter() - begun) * 1000,
            "cookies": cookies_from(response),
            "html": body,
        }

    return step


def place_order(session_cookie: str, csrf_cookie: str):
    def step(conn, buyer):
        if "form" not in buyer:
            return
        cookie = f"{session_cookie}={buyer['session']}; {csrf_cookie}={buyer['csrf']}"
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        begun = time.perf_counter()
        try:
            conn.request("POST", "/checkout/", body=buyer["form"], headers=headers)
            response = conn.getresponse()
            body = response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            buyer["post"] = {"status": None, "error": repr(error)}
            return
        location = response.headers.get("Location") or ""
        buyer["post"] = {
            "status": response.status,
            "ms": (time.perf_counter() - begun) * 1000,
            "placed": response.status == 302 and "/checkout/" not in location,
            "alerts": alert_texts(body) if response.status != 302 else [],
        }

    return step


def prepare_posts(buyers: list[dict], csrf_cookie: str) -> list[str]:
    """Fill each buyer's form from the page loaded; returns why a page could not be used."""
    problems = []
    for buyer in buyers:
        page = buyer.pop("get")
        buyer["get_ms"] = page.get("ms")
        if page["status"] != 200:
            problems.append(f"GET /checkout/ answered {page['status']} {page.get('error', '')}")
            continue
        csrf = page["cookies"].get(csrf_cookie)
        if not csrf:
            problems.append("GET /checkout/ set no CSRF cookie")
            continue
        try:
            fields = filled_form(page["html"])
        except ValueError as error:
            problems.append(str(error))
            continue
        buyer["csrf"], buyer["form"] = csrf, urlencode(fields)
    return problems


def main():
    args = parse_args()
    server_environment(args)
    django.setup()
    import redis
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    rng = random.Random(7)
    # The page phases before this one cached pages and opening states in the same Redis
    # database; the shops changed here under their feet (bulk writes send no signals).
    redis.Redis.from_url(args.redis_url).flushdb()
    log(f"preparing {args.buyers} buyers with carts from two shops…")
    started = time.perf_counter()
    # A few buyers check out untimed first, so each worker has compiled the templates and
    # opened its connection before the timed buyers come.
    warm = 2 * args.workers
    buyers = prepare_buyers(args.buyers + warm, rng)
    warm_buyers, buyers = buyers[:warm], buyers[warm:]
    setup_s = time.perf_counter() - started
    connection.close()
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        # Run alone, not after bench/run.py: the prod settings' manifest storage needs it.
        call_command("collectstatic", "--noinput", verbosity=0)
    session_cookie, csrf_cookie = settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME

    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    server = http_load.Gunicorn(
        executable=Path(sys.executable).with_name("gunicorn"),
        env=dict(os.environ),
        cwd=ROOT,
        log_path=results / "gunicorn-checkout.log",
        workers=args.workers,
    )
    with server:
        run_clients(server.port, warm_buyers, args.workers, load_page(session_cookie))
        prepare_posts(warm_buyers, csrf_cookie)
        run_clients(
            server.port, warm_buyers, args.workers, place_order(session_cookie, csrf_cookie)
        )
        cpu = http_load.ServerCPU(server, args.database_url)
        log(f"loading /checkout/ for {len(buyers)} buyers, {args.clients} clients…")
        cpu.start()
        get_wall = run_clients(server.port, buyers, args.clients, load_page(session_cookie))
        get_cpu = cpu.stop()
        problems = prepare_posts(buyers, csrf_cookie)
        log(f"placing the orders, {args.clients} clients…")
        cpu.start()
        post_wall = run_clients(
            server.port, buyers, args.clients, place_order(session_cookie, csrf_cookie)
        )
        post_cpu = cpu.stop()

    posts = [buyer["post"] for buyer in buyers if "post" in buyer]
    placed = [post for post in posts if post.get("placed")]
    refused = [post for post in posts if not post.get("placed")]
    reasons = [
        f"{post['status']}: {' / '.join(post.get('alerts') or [post.get('error', '')])}"
        for post in refused
    ]
    purchases, orders = orders_of(buyers)
    redis.Redis.from_url(args.redis_url).flushdb()  # the tasks the orders queued
    wall = get_wall + post_wall

    def per(count, *phases):
        """CPU ms of the workers and of the database per `count` things done in `phases`."""
        cpu = {"app_cpu_s": 0.0, "db_cpu_s": 0.0}
        for phase in phases:
            for key in cpu:
                cpu[key] = None if None in (cpu[key], phase[key]) else cpu[key] + phase[key]
        return http_load.per_request(cpu, count)

    checkout_ms = [
        buyer["get_ms"] + buyer["post"]["ms"] for buyer in buyers if buyer.get("post", {}).get("ms")
    ]
    print(
        json.dumps(
            {
                "buyers": len(buyers),
                "clients": args.clients,
                "workers": args.workers,
                "shops_per_cart": 2,
                "setup_s": round(setup_s, 1),
                "checkouts": len(placed),
                "purchases": purchases,
                "orders": orders,
                "refused": len(refused) + len(problems),
                "refusals": (problems + reasons)[:10],
                "wall_s": round(wall, 2),
                "get_wall_s": round(get_wall, 2),
                "post_wall_s": round(post_wall, 2),
                "orders_per_s": round(orders / wall, 1) if wall else None,
                "checkouts_per_s": round(len(placed) / wall, 1) if wall else None,
                "latency_ms": {
                    "page": summarise([b["get_ms"] for b in buyers if b.get("get_ms")]),
                    "place": summarise([post["ms"] for post in posts if "ms" in post]),
                    "checkout": summarise(checkout_ms),
                },
                "server_cpu": {"page": get_cpu, "place": post_cpu},
                "cpu_per_order": per(orders, get_cpu, post_cpu),
                "cpu_per_checkout": per(len(placed), get_cpu, post_cpu),
                "cpu_per_page_load": per(len(buyers), get_cpu),
                "cpu_per_post": per(len(posts), post_cpu),
            }
        )
    )


if __name__ == "__main__":
    main()
