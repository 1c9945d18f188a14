"""The database becomes unreachable under a real app server: /readyz answers 503 naming the
database, pages answer 503 in the site's own look, /healthz stays up; when the database is
reachable again the same server process serves pages again, without a restart.

The server is gunicorn in a subprocess whose DATABASE_URL points at a TCP forwarder in front
of the test's Postgres database; stopping the forwarder refuses new connections and cuts the
server's kept ones, as a crashed or restarting database would."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from marketplace.tests.factories import UserFactory

from .tcp_forwarder import TcpForwarder

ROOT = Path(__file__).resolve().parents[1]
NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_forwarder(_require_postgres_for_marker):
    database = connection.settings_dict
    forwarder = TcpForwarder(database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432))
    forwarder.start()
    yield forwarder
    forwarder.stop()


@pytest.fixture
def app_server(transactional_db, database_forwarder, tmp_path):
    """gunicorn with the test settings, reaching the test database only through the
    forwarder. Torn down before the test database is flushed."""
    database = connection.settings_dict
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **{key: value for key, value in os.environ.items() if key not in NOT_INHERITED},
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "DATABASE_URL": (
            f"postgres://{credentials}@127.0.0.1:{database_forwarder.port}/{database['NAME']}"
        ),
    }
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "marketplace.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "120",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server.port = port
    server.log_path = log_path
    try:
        wait_for(server, lambda: get(server, "/healthz")[0] == 200, "the server to start")
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def get(server, path: str, cookie: str = "") -> tuple[int, dict, str]:
    """Status, headers and body; (0, {}, "") while nothing answers on the port."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    except ConnectionRefusedError:
        return 0, {}, ""
    finally:
        conn.close()


def wait_for(server, condition, what: str, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while not condition():
        if server.poll() is not None:
            pytest.fail(f"the server exited while waiting for {what}:\n{server_log(server)}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout} s:\n{server_log(server)}")
        time.sleep(0.1)


def server_log(server, tail: int = 5000) -> str:
    return server.log_path.read_text(errors="replace")[-tail:]


def readiness(server) -> tuple[int, dict]:
    status, _headers, body = get(server, "/readyz")
    return status, json.loads(body) if body else {}


def assert_outage_page(status: int, headers: dict, body: str):
    assert status == 503, body[:2000]
    assert headers["Retry-After"] == "30"
    assert "<h1>Back in a moment</h1>" in body
    assert 'class="site-header"' in body and "css/commonplace.css" in body
    assert 'href="/orders/">My orders</a>' in body


def test_a_database_outage_answers_503_and_the_same_server_recovers(app_server, database_forwarder):
    # Given a running server and a signed-in customer,
    customer = Client()
    customer.force_login(UserFactory())
    signed_in = f"sessionid={customer.cookies['sessionid'].value}"
    assert readiness(app_server) == (
        200,
        dict.fromkeys(["database", "migrations", "cache", "broker"], "ok"),
    )
    assert get(app_server, "/")[0] == 200
    assert get(app_server, "/orders/", signed_in)[0] == 200

    # when the database goes away (kept connections cut, new ones refused),
    database_forwarder.stop()

    # then readiness names the database, pages answer 503 in the site's look, for visitors
    # and for the signed-in customer whose session cannot be read, and liveness stays up;
    # only a catalogue page kept for visitors (the home page, in the cache) is still served.
    wait_for(app_server, lambda: readiness(app_server)[0] == 503, "503 from /readyz")
    status, states = readiness(app_server)
    assert states["database"] == "failed"
    assert (states["cache"], states["broker"]) == ("ok", "ok")
    status, _headers, body = get(app_server, "/")
    assert status == 200 and "Back in a moment" not in body
    assert_outage_page(*get(app_server, "/", signed_in))
    assert_outage_page(*get(app_server, "/orders/", signed_in))
    assert_outage_page(*get(app_server, "/shops/"))
    assert get(app_server, "/healthz")[0] == 200

    # When the database is back on the same address, the same process serves again.
    database_forwarder.start()
    wait_for(app_server, lambda: readiness(app_server)[0] == 200, "200 from /readyz")
    assert get(app_server, "/")[0] == 200
    status, _headers, body = get(app_server, "/orders/", signed_in)
    assert status == 200 and "Log out" in body
    assert app_server.poll() is None
    assert app_server.log_path.read_text().count("Booting worker") == 1
