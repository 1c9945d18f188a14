"""docker-compose.yml as Compose reads it (YAML with its merge keys; `docker compose config`
is not available here): migrations run once in a one-shot service before web, worker and
beat start, and each of those has a health check of its own."""

import os
import subprocess
import sys
import time
from pathlib import Path

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


def test_migrations_run_once_before_web_worker_and_beat(services):
    migrate = services["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name in ("web", "worker", "beat"):
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"] == {"condition": "service_completed_successfully"}
        assert depends_on["postgres"] == {"condition": "service_healthy"}
        assert depends_on["redis"] == {"condition": "service_healthy"}
        assert "migrate" not in " ".join(services[name]["command"])


def test_web_is_healthy_only_when_ready(services):
    code = python_check_code(services["web"])
    compile(code, "web healthcheck", "exec")
    assert "http://127.0.0.1:8000/readyz" in code
    assert "/healthz" not in code


def test_worker_and_beat_have_their_own_health_checks(services):
    worker_test = services["worker"]["healthcheck"]["test"]
    assert worker_test[0] == "CMD-SHELL"
    # `$$` is Compose's escape: the container's shell sees $HOSTNAME, the worker's node name.
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
    for name in ("web", "worker", "beat"):
        assert services[name]["restart"] == "unless-stopped"
        assert services[name]["environment"] == services["migrate"]["environment"]
        assert services[name]["image"] == "commonplace:latest"
