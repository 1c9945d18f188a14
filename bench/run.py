"""Benchmark on Postgres: seeding time, search latency and requests per second (`make bench`).

    .venv/bin/python bench/run.py            # 100,000 products into a fresh commonplace_bench
    .venv/bin/python bench/run.py --quick    # smoke run: 5,000 products, 3 s load phases
    .venv/bin/python bench/run.py --reuse    # keep the seeded database of the previous run

Prints a summary and writes it to bench/results/latest.json. bench/README.md explains the
figures.
"""

import argparse
import atexit
import datetime
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import http_load
import psycopg

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/commonplace_bench"
SEED_TARGET_SECONDS = 120
# Only a safety net: at 10 s per phase no URL class gets near it.
MAX_REQUESTS_PER_PHASE = 200_000
PRODUCT_PAGES = 50
# Tasks the benchmarks queue without Redis wait on the filesystem broker: in a folder of their
# own, so the demo's worker never runs them against its database.
BROKER_DIR = tempfile.mkdtemp(prefix="commonplace-bench-broker-")
atexit.register(shutil.rmtree, BROKER_DIR, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Commonplace benchmark on Postgres.")
    parser.add_argument("--products", type=int, help="products to seed (100000; --quick 5000)")
    parser.add_argument("--shops", type=int, default=60, help="active shops (default 60)")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--seconds", type=float, help="length of each RPS phase (10; --quick 3)")
    parser.add_argument("--repeats", type=int, help="searches per query class (200; --quick 30)")
    parser.add_argument("--connections", type=int, default=4, help="requests in flight")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--buyers", type=int, help="baskets checked out (400; --quick 60)")
    parser.add_argument("--threads", type=int, default=8, help="buyers checking out at once")
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    args = parser.parse_args()
    quick = args.quick
    args.products = args.products if args.products is not None else (5_000 if quick else 100_000)
    args.seconds = args.seconds or (3 if quick else 10)
    args.repeats = args.repeats or (30 if quick else 200)
    args.buyers = args.buyers or (60 if quick else 400)
    return args


def log(message: str) -> None:
    print(message, flush=True)


# Environments -------------------------------------------------------------------------------


def base_env(database_url: str) -> dict:
    env = dict(os.environ, DATABASE_URL=database_url, PYTHONPATH=str(ROOT), BROKER_DIR=BROKER_DIR)
    # Without REDIS_URL tasks are queued as files (no worker runs them here) and the cache is
    # local memory: nothing else to run.
    env.pop("REDIS_URL", None)
    return env


def dev_env(database_url: str) -> dict:
    # DEBUG=0 so Django does not keep every query in memory while we time thousands of them.
    return dict(
        base_env(database_url), DJANGO_SETTINGS_MODULE="marketplace.settings.dev", DEBUG="0"
    )


def prod_env(database_url: str) -> dict:
    env = dict(
        base_env(database_url),
        DJANGO_SETTINGS_MODULE="marketplace.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(48),  # 64 characters
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback
    )
    env.pop("DEBUG", None)
    return env


def manage(*arguments: str, env: dict, capture: bool = False) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return done.stdout or ""


def collectstatic(env: dict) -> None:
    """Collect static files for the manifest storage the prod settings use. --clear, so a
    file left in var/static by an earlier run cannot hide a missing one."""
    command = [sys.executable, "manage.py", "collectstatic", "--noinput", "--clear", "-v", "0"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)


# Database -----------------------------------------------------------------------------------


def pg_client_args(url: str) -> tuple[list[str], str]:
    parts = urlsplit(url)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    if parts.username:
        args += ["-U", parts.username]
    return args, parts.path.lstrip("/")


def database_has_products(url: str) -> bool:
    try:
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT EXISTS (SELECT 1 FROM shops_product)").fetchone()[0]
    except psycopg.Error:  # no such database, or not migrated
        return False


def prepare_database(args) -> dict:
    url = args.database_url
    env = dev_env(url)
    client_args, name = pg_client_args(url)
    reused = args.reuse and database_has_products(url)
    timings: dict = {
        "reused": reused,
        "products_requested": args.products,
        "shops_requested": args.shops,
    }
    if not reused:
        log(f"Recreating database {name}…")
        subprocess.run(["dropdb", *client_args, "--if-exists", name], check=True)
        subprocess.run(["createdb", *client_args, name], check=True)
    started = time.perf_counter()
    manage("migrate", "--noinput", "-v", "0", env=env)
    timings["migrate_s"] = round(time.perf_counter() - started, 2)
    if reused:
        log(f"Reusing the seeded database {name} (--reuse): seeding not timed.")
        timings["seed_s"] = None
    else:
        log(f"Seeding: seed_demo --products {args.products} --shops {args.shops}…")
        started = time.perf_counter()
        counts = ["--products", str(args.products), "--shops", str(args.shops)]
        output = manage("seed_demo", *counts, env=env, capture=True)
        timings["seed_s"] = round(time.perf_counter() - started, 2)
        summary = [line for line in output.splitlines() if line.startswith("Demo town")]
        log(f"  {summary[0] if summary else output.strip()[-200:]}")
    # Fresh bulk-loaded tables have no planner statistics, and autovacuum may be off or not
    # have run yet: without this the planner guesses 1 row and picks nested loops (search for a
    # frequent word measured ~4x slower). Production databases are analysed, so we measure that.
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        timings["products"] = conn.execute("SELECT count(*) FROM shops_product").fetchone()[0]
        active_shops = "SELECT count(*) FROM shops_shop WHERE status = 'active'"
        timings["shops"] = conn.execute(active_shops).fetchone()[0]
        timings["postgres"] = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    timings["analyze_s"] = round(time.perf_counter() - started, 2)
    return timings


# Phases -------------------------------------------------------------------------------------


def measure_selector(args) -> dict:
    """Query choice, in-process search latency and product URLs, from bench/search_latency.py."""
    output = subprocess.run(
        [
            sys.executable,
            str(BENCH / "search_latency.py"),
            "--repeats",
            str(args.repeats),
            "--product-pages",
            str(PRODUCT_PAGES),
        ],
        cwd=ROOT,
        env=dev_env(args.database_url),
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    ).stdout
    return json.loads(output)


BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")


def measure_catalogue(args) -> dict:
    """Import of a 10,000-row file and the API's 1,000-product batch, bench/catalogue.py."""
    rows = "2000" if args.quick else "10000"
    output = subprocess.run(
        [sys.executable, str(BENCH / "catalogue.py"), "--rows", rows, "--batch", "1000"],
        cwd=ROOT,
        env={
            **dev_env(args.database_url),
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        },
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    ).stdout
    return json.loads(output)


def measure_dispatch(args) -> dict:
    """Assignment, route quality and the dispatcher board, from bench/dispatch.py."""
    output = subprocess.run(
        [sys.executable, str(BENCH / "dispatch.py"), "--instances", "24" if args.quick else "60"],
        cwd=ROOT,
        env=dev_env(args.database_url),
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    ).stdout
    return json.loads(output)


def measure_shopping_list(args) -> dict:
    """Trip planning (20 lines, 50 shops) and list matching at scale, bench/shopping_list.py."""
    repeats, instances = ("10", "20") if args.quick else ("50", "60")
    output = subprocess.run(
        [
            sys.executable,
            str(BENCH / "shopping_list.py"),
            "--repeats",
            repeats,
            "--instances",
            instances,
        ],
        cwd=ROOT,
        env=dev_env(args.database_url),
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    ).stdout
    return json.loads(output)


def measure_own_database(script: str, args) -> dict:
    """A benchmark that makes its own database (bench/governance.py, bench/presales.py,
    bench/delivery_windows.py, bench/outbox.py)."""
    output = subprocess.run(
        [sys.executable, str(BENCH / script), *(["--quick"] if args.quick else [])],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    ).stdout
    return json.loads(output)


def measure_checkouts(args) -> dict:
    """Checkouts per second from bench/checkouts.py (many buyers, many products)."""
    output = subprocess.run(
        [
            sys.executable,
            str(BENCH / "checkouts.py"),
            "--buyers",
            str(args.buyers),
            "--threads",
            str(args.threads),
        ],
        cwd=ROOT,
        # As in production, emails and other tasks are queued in Redis, not run inline; the
        # bench uses its own Redis database and empties it afterwards.
        env={
            **dev_env(args.database_url),
            "REDIS_URL": BENCH_REDIS_URL,
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        },
        check=True,
        text=True,
        stdout=subprocess.PIPE,
    ).stdout
    return json.loads(output)


def search_path(text: str) -> str:
    return "/search/?" + urlencode({"q": text})


def measure_http(args, selector: dict) -> dict:
    env = prod_env(args.database_url)
    log("collectstatic (prod settings use the manifest storage)…")
    collectstatic(env)
    classes = {
        name: [search_path(item["q"]) for item in items]
        for name, items in selector["workload"]["classes"].items()
    }
    all_searches = [path for paths in classes.values() for path in paths]
    products = selector["product_paths"]
    RESULTS.mkdir(exist_ok=True)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = http_load.Gunicorn(
        executable=gunicorn,
        env=env,
        cwd=ROOT,
        log_path=RESULTS / "gunicorn.log",
        workers=args.workers,
    )
    with server:
        port = server.port
        log(f"gunicorn on 127.0.0.1:{port} ({args.workers} workers); warming up…")
        http_load.warm_up(port, ["/healthz", *products, *all_searches])
        latency = {}
        for name, paths in [*classes.items(), ("product", products), ("hello", ["/healthz"])]:
            log(f"HTTP latency, {name}: {args.repeats} requests one at a time…")
            latency[name] = http_load.sequential_latency(port, paths, args.repeats)
        throughput = {}
        phases = {"hello": ["/healthz"], "product": products, "search": all_searches}
        for name, paths in phases.items():
            log(f"Load, {name}: {args.seconds:g} s, {args.connections} connections…")
            throughput[name] = http_load.load(
                port,
                paths,
                seconds=args.seconds,
                connections=args.connections,
                max_requests=MAX_REQUESTS_PER_PHASE,
            )
    hello_rps = throughput["hello"]["rps"] or float("nan")
    ratios = {
        "product_over_hello": round(throughput["product"]["rps"] / hello_rps, 3),
        "search_over_hello": round(throughput["search"]["rps"] / hello_rps, 3),
    }
    return {
        "latency": latency,
        "throughput": throughput,
        "ratios": ratios,
        "url_counts": {"product": len(products), "search": len(all_searches)},
    }


# Report -------------------------------------------------------------------------------------


def git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:  # no git
        return "unknown"
    return done.stdout.strip() or "unknown"


def print_summary(report: dict) -> None:
    meta, seed, selector, http = (report[key] for key in ("meta", "seed", "search", "http"))
    generator = http["throughput"]["hello"]["generator"]
    log("")
    log(
        f"Commonplace benchmark · {seed['products']:,} products in {seed['shops']} shops · "
        f"Postgres {seed['postgres']} · {meta['cpus']} CPUs · {meta['commit']}"
    )
    log("")
    log("Seeding")
    log(f"  migrate                {seed['migrate_s']:7.1f} s")
    if seed["seed_s"] is None:
        log("  seed_demo              (reused database, not timed)")
    else:
        verdict = "OK" if seed["seed_s"] < SEED_TARGET_SECONDS else "TOO SLOW"
        log(
            f"  seed_demo              {seed['seed_s']:7.1f} s   "
            f"(--products {seed['products_requested']} --shops {seed['shops_requested']}; "
            f"target < {SEED_TARGET_SECONDS} s: {verdict})"
        )
    log(f"  VACUUM ANALYZE         {seed['analyze_s']:7.1f} s")

    workload = selector["workload"]
    log("")
    log(f"Search queries (exact full-text matches among {workload['searchable_products']:,})")
    for name, items in workload["classes"].items():
        described = ", ".join(
            f"{item['q']!r} {item['matches']:,} ({item['fraction']:.3%})" for item in items
        )
        log(f"  {name:<11} {described}")
    if workload["rare_note"]:
        log(f"  note: {workload['rare_note']}")

    log("")
    log("Search latency, ms      product_search()        GET /search/?q=  (one at a time)")
    log("                        p50     p95   SQL       p50     p95")
    for name, timing in selector["selector_latency"].items():
        page = http["latency"][name]
        log(
            f"  {name:<20}{timing['p50_ms']:6.1f}  {timing['p95_ms']:6.1f}"
            f"   {timing['sql_queries']:3d}    {page['p50_ms']:6.1f}  {page['p95_ms']:6.1f}"
        )
    for name in ("product", "hello"):
        page = http["latency"][name]
        log(f"  {name + ' page':<20}{'':24}{page['p50_ms']:6.1f}  {page['p95_ms']:6.1f}")

    log("")
    log(
        f"Throughput: gunicorn {meta['workers']} sync workers, {meta['connections']} connections, "
        f"{meta['seconds']:g} s per URL class, load by {generator}"
    )
    log("                                   req/s   p50 ms   p95 ms   vs hello   errors")
    urls = {
        "hello": "/healthz",
        "product": f"{http['url_counts']['product']} product pages",
        "search": f"{http['url_counts']['search']} search queries",
    }
    for name, result in http["throughput"].items():
        ratio = result["rps"] / http["throughput"]["hello"]["rps"]
        errors = result["non_2xx"] + result["socket_errors"]
        log(
            f"  {name:<8}{urls[name]:<25}{result['rps']:7.0f}  {result['p50_ms']:7.1f}  "
            f"{result['p95_ms']:7.1f}   {ratio:8.3f}   {errors:6d}"
        )
    log("")


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    seed = prepare_database(args)
    log(f"Timing search in-process ({args.repeats} searches per query class)…")
    selector = measure_selector(args)
    http = measure_http(args, selector)
    log(f"Timing checkouts ({args.buyers} buyers, {args.threads} at once)…")
    checkout = measure_checkouts(args)
    log("Timing catalogue import and API batches…")
    catalogue = measure_catalogue(args)
    log("Timing dispatch: assignment, routes, board…")
    dispatch = measure_dispatch(args)
    log("Timing shopping lists: trip planning and matching…")
    shopping = measure_shopping_list(args)
    log("Timing the cooperative's votes and the transparency page…")
    governance = measure_own_database("governance.py", args)
    log("Timing presales: pledges, counter redemptions, closing a campaign…")
    presales = measure_own_database("presales.py", args)
    log("Timing the checkout page with delivery windows…")
    windows = measure_own_database("delivery_windows.py", args)
    log("Timing the outbox: events relayed, commit to email under load…")
    outbox = measure_own_database("outbox.py", args)
    report = {
        "meta": {
            "finished_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "commit": git_commit(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "database": pg_client_args(args.database_url)[1],
            "quick": args.quick,
            "seconds": args.seconds,
            "repeats": args.repeats,
            "connections": args.connections,
            "workers": args.workers,
            "wall_s": round(time.perf_counter() - started, 1),
        },
        "seed": seed,
        "search": selector,
        "http": http,
        "checkout": checkout,
        "catalogue": catalogue,
        "dispatch": dispatch,
        "shopping_list": shopping,
        "governance": governance,
        "presales": presales,
        "delivery_windows": windows,
        "outbox": outbox,
    }
    print_summary(report)
    log(
        f"Checkout: {checkout['checkouts_per_s']} checkouts/s "
        f"({checkout['checkouts']} baskets, {checkout['orders']} orders, "
        f"{checkout['threads']} threads, p50 {checkout['latency_ms']['p50_ms']} ms, "
        f"p95 {checkout['latency_ms']['p95_ms']} ms, {checkout['failure_count']} refused)"
    )
    log(
        f"Import: {catalogue['import_rows']} rows checked in {catalogue['import_preview_s']} s, "
        f"applied in {catalogue['import_apply_s']} s ({catalogue['import_rows_per_s']} rows/s). "
        f"API batch of {catalogue['api_batch']}: create {catalogue['api_create_s']} s, update "
        f"{catalogue['api_update_s']} s, unchanged {catalogue['api_unchanged_s']} s."
    )
    log(
        f"Dispatch: {dispatch['assign_jobs']} jobs to {dispatch['assign_couriers']} couriers in "
        f"{dispatch['assign_s']} s ({dispatch['assign_cpu_s']} s CPU; {dispatch['assigned']} "
        f"assigned, {dispatch['fitting_assigned_pct']} % of the {dispatch['fitting']} that fit, "
        f"{dispatch['unassigned']} left for later, {dispatch['late_drops']} drop-offs late); "
        f"routes vs exact optimum: mean gap {dispatch['route_gap_mean_pct']} %, "
        f"worst {dispatch['route_gap_worst_pct']} %, "
        f"{dispatch['route_saving_vs_one_at_a_time_pct']} % shorter than one order at a time; "
        f"board with {dispatch['board_jobs']} jobs: "
        f"p50 {dispatch['board_ms_p50']} ms, p95 {dispatch['board_ms_p95']} ms."
    )
    plan_verdict = "OK" if shopping["plan_ok"] else "TOO SLOW"
    log(
        f"Shopping list: planning 20 lines over 50 shops p50 {shopping['plan_ms']['p50_ms']} ms, "
        f"p95 {shopping['plan_ms']['p95_ms']} ms, max {shopping['plan_ms']['max_ms']} ms "
        f"(target < {shopping['plan_target_ms']} ms: {plan_verdict}); "
        f"heuristic vs exact on 8 shops: mean gap {shopping['heuristic_gap_mean_pct']} %, worst "
        f"{shopping['heuristic_gap_worst_pct']} %; matching {shopping['match_lines']} lines among "
        f"{shopping['match_products']:,} products p50 {shopping['match_ms']['p50_ms']} ms, p95 "
        f"{shopping['match_ms']['p95_ms']} ms in {shopping['match_sql_queries']} queries; "
        f"list page data p50 {shopping['page_ms']['p50_ms']} ms, "
        f"trip p50 {shopping['trip_ms']['p50_ms']} ms; trip for next Saturday 10:00 among "
        f"{shopping['timed_trip_shops']} shops p50 {shopping['timed_trip_ms']['p50_ms']} ms, "
        f"p95 {shopping['timed_trip_ms']['p95_ms']} ms."
    )
    votes, big = governance["votes_at_once"], governance["big_vote"]
    log(
        f"Cooperative: {votes['counted']} of {votes['members']} members voting at once counted "
        f"in {votes['wall_s']} s ({votes['votes_per_s']} votes/s); a {big['members']}-member vote "
        f"closed in {big['close_ms']} ms; fee lookup p50 {governance['fee_lookup']['p50_ms']} ms; "
        f"transparency page p50 {governance['transparency_page']['p50_ms']} ms."
    )
    race = presales["redemptions_at_once"]
    log(
        f"Presales: {presales['pledges_paid_at_counter']['per_s']} pledges/s paid at the counter; "
        f"{race['counters']} counters redeeming at once {race['per_s']}/s "
        f"(p95 {race['per_redemption']['p95_ms']} ms, books exact: "
        f"{race['liability_equals_holdings']}); refunding "
        f"{presales['close_missed_refund_all']['pledges_refunded']} pledges at a missed "
        f"deadline {presales['close_missed_refund_all']['close_ms']} ms."
    )
    log(
        f"Delivery windows: checkout page with {windows['shops_in_cart']} delivering shops and "
        f"{windows['windows_offered']} windows p50 {windows['checkout_page']['p50_ms']} ms, "
        f"p95 {windows['checkout_page']['p95_ms']} ms (CPU p95 "
        f"{windows['checkout_page_cpu']['p95_ms']} ms, {windows['page_queries']} queries); "
        f"placing the order p50 {windows['checkout_post']['p50_ms']} ms, "
        f"p95 {windows['checkout_post']['p95_ms']} ms."
    )
    relay, email = outbox["relay"], outbox["commit_to_email"]
    log(
        f"Outbox: {relay['events_relayed_per_s']} events relayed/s by {outbox['workers']} "
        f"workers ({relay['events']} events, {relay['worker_cpu_ms_per_event']} ms worker CPU "
        f"each, {relay['delivered_more_than_once']} delivered twice); commit to email with "
        f"{email['purchase_rate_per_s']:g} purchases/s and {email['background_events_per_s']} "
        f"events/s: p50 {email['p50_ms']} ms, p95 {email['p95_ms']} ms."
    )
    bad = [name for name, result in http["throughput"].items() if result["non_2xx"]]
    bad += [name for name, result in http["latency"].items() if result["errors"]]
    if bad:
        log(f"WARNING: non-200 responses in {', '.join(sorted(set(bad)))}; see gunicorn.log")
    capped = [name for name, result in http["throughput"].items() if result["capped"]]
    if capped:
        log(f"NOTE: {', '.join(capped)} hit the request cap; raise MAX_REQUESTS_PER_PHASE.")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "latest.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    log(f"Written to {out.relative_to(ROOT)} (total {report['meta']['wall_s']:.0f} s).")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
