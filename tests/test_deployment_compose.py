"""docker-compose.yml as Compose reads it (YAML with its merge keys; `docker compose config`
is not available here): migrations run once in a one-shot service before web, the workers and
beat start, each of those has a health check of its own, the app reaches the primary through
PgBouncer and reads the catalogue from a streaming replica."""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def python_check_code(service: dict) -> str:
    """The code of a `python -c` health check."""
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    return test[3]


APP_SERVICES = ("web", "worker", "worker-mail", "worker-assignment", "beat")


def test_migrations_run_once_before_web_workers_and_beat(services):
    migrate = services["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name in APP_SERVICES:
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"] == {"condition": "service_completed_successfully"}
        assert depends_on["postgres"] == {"condition": "service_healthy"}
        assert depends_on["pgbouncer"] == {"condition": "service_healthy"}
        assert depends_on["redis"] == {"condition": "service_healthy"}
        assert "migrate" not in " ".join(services[name]["command"])


def test_web_is_healthy_only_when_ready(services):
    code = python_check_code(services["web"])
    compile(code, "web healthcheck", "exec")
    assert "http://127.0.0.1:8000/readyz" in code
    assert "/healthz" not in code


def test_workers_and_beat_have_their_own_health_checks(services):
    for name in ("worker", "worker-mail", "worker-assignment"):
        worker_test = services[name]["healthcheck"]["test"]
        assert worker_test[0] == "CMD-SHELL"
        # `$$` is Compose's escape: the container's shell sees $HOSTNAME, the worker's name.
        assert "celery -A marketplace inspect ping -d celery@$$HOSTNAME" in worker_test[1]

    beat = services["beat"]
    schedule = beat["command"][beat["command"].index("--schedule") + 1]
    code = python_check_code(beat)
    compile(code, "beat healthcheck", "exec")
    assert f'glob.glob("{schedule}*")' in code


def test_beat_counts_as_healthy_only_while_its_schedule_file_is_fresh(services, tmp_path):
    beat = services["beat"]
    schedule = beat["command"][beat["command"].index("--schedule") + 1]
    code = python_check_code(beat).replace(schedule, str(tmp_path / "celerybeat-schedule"))

    def check() -> int:
        return subprocess.run([sys.executable, "-c", code], timeout=60).returncode

    assert check() == 1  # not written yet
    written = tmp_path / "celerybeat-schedule.db"  # the name depends on Python's dbm module
    written.write_bytes(b"")
    assert check() == 0
    an_hour_ago = time.time() - 3600
    os.utime(written, (an_hour_ago, an_hour_ago))
    assert check() == 1


def test_every_long_running_app_service_restarts_and_the_app_settings_are_shared(services):
    shared = services["web"]["environment"]
    for name in APP_SERVICES:
        assert services[name]["restart"] == "unless-stopped"
        assert services[name]["environment"] == shared
        assert services[name]["image"] == "commonplace:latest"
    # Migrations go straight to the primary; otherwise the same settings.
    migrate = services["migrate"]["environment"]
    assert {k: v for k, v in migrate.items() if k not in DIRECT} == {
        k: v for k, v in shared.items() if k not in DIRECT
    }


DIRECT = {"DATABASE_URL", "DISABLE_SERVER_SIDE_CURSORS"}


def database_host(url: str) -> str:
    return urlsplit(url).hostname


def test_the_app_reaches_the_primary_through_pgbouncer_in_transaction_pooling(services):
    pgbouncer = services["pgbouncer"]
    assert pgbouncer["environment"]["DB_HOST"] == "postgres"
    assert pgbouncer["environment"]["POOL_MODE"] == "transaction"
    assert pgbouncer["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    app = services["web"]["environment"]
    assert database_host(app["DATABASE_URL"]) == "pgbouncer"
    # Transaction pooling cannot keep a server-side cursor open between transactions.
    assert app["DISABLE_SERVER_SIDE_CURSORS"] == "1"
    migrate = services["migrate"]["environment"]
    assert database_host(migrate["DATABASE_URL"]) == "postgres"


def test_catalogue_reads_go_to_a_streaming_replica_of_the_primary(services):
    replica = services["postgres-replica"]
    assert database_host(services["web"]["environment"]["DATABASE_REPLICA_URL"]) == (
        "postgres-replica"
    )
    assert services["web"]["depends_on"]["postgres-replica"] == {"condition": "service_healthy"}
    assert replica["image"] == services["postgres"]["image"]  # a standby needs the same major
    assert replica["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert "pg_is_in_recovery()" in replica["healthcheck"]["test"][1]
    # The replica's entrypoint copies the primary once and starts it as a standby (-R).
    script_path = replica["entrypoint"][0]
    mounted = {v.split(":")[1]: v.split(":")[0] for v in replica["volumes"] if ":" in v}
    script = (ROOT / mounted[script_path]).read_text()
    assert "pg_basebackup" in script and "--write-recovery-conf" in script
    assert "--host postgres" in script and "--username replicator" in script
    assert 'exec docker-entrypoint.sh "$@"' in script
    # The primary makes the replication role the replica logs in as, and lets it connect.
    primary = services["postgres"]
    init = next(v for v in primary["volumes"] if "docker-entrypoint-initdb.d" in v)
    init_script = (ROOT / init.split(":")[0]).read_text()
    assert "CREATE ROLE replicator WITH REPLICATION" in init_script
    assert "host replication replicator" in init_script
    assert "wal_level=replica" in primary["command"]


@pytest.mark.parametrize("script", ["primary-init.sh", "replica-entrypoint.sh"])
def test_the_postgres_scripts_are_valid_shell(script):
    path = ROOT / "deploy" / "postgres" / script
    assert os.access(path, os.X_OK)
    assert subprocess.run(["bash", "-n", str(path)], timeout=30).returncode == 0
