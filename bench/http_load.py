"""The HTTP side of the benchmark: gunicorn on loopback, one-at-a-time latency, load, and the
server's CPU time per request.

Load comes from wrk when it is installed (`apt-get install wrk`): in C it leaves the CPU to
gunicorn, which matters on a small machine. Without it a few Python threads do the same job,
slower, and the report says which generator ran.

CPU time is read from /proc (Linux): the utime + stime of every gunicorn worker and of every
Postgres backend serving the bench database, before and after a phase. Unlike requests per
second it hardly moves when something else on the machine competes for the cores.
"""

import http.client
import itertools
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psycopg
from timing import percentile, summarise

HOST = "127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn serving the WSGI app on 127.0.0.1:<port>; stopped (by its pid) on exit."""

    def __init__(self, *, executable: Path, env: dict, cwd: Path, log_path: Path, workers=2):
        self.port = free_port()
        self.command = [
            str(executable),
            "marketplace.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"{HOST}:{self.port}",
        ]
        self.env, self.cwd, self.log_path = env, cwd, log_path
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            self.command, env=self.env, cwd=self.cwd, stdout=self.log, stderr=subprocess.STDOUT
        )
        self._wait_until_ready()
        return self

    @property
    def worker_pids(self) -> list[int]:
        """The master's children: gunicorn forks its workers before it answers at all."""
        return children_of(self.process.pid)

    def __exit__(self, *exc_info) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def _wait_until_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout} s; see {self.log_path}")


# CPU time ---------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone, or no /proc
        return None
    # The command name in parentheses may hold spaces: the fields that follow start at state.
    return stat.rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds a process has used so far; None if it is gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields and int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def database_backends(database_url: str) -> list[int]:
    """Pids of the Postgres backends connected to the bench database, the asking one excepted.
    Only readable in /proc when Postgres runs on this machine; elsewhere the figure is None."""
    sql = """
        SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND backend_type = 'client backend'
    """
    try:
        with psycopg.connect(database_url, autocommit=True) as conn:
            return [row[0] for row in conn.execute(sql)]
    except psycopg.Error:
        return []


class ServerCPU:
    """CPU seconds the gunicorn workers and the database spent between start() and stop();
    start() first waits for the server to be idle.

    Workers and database connections live for the whole run (CONN_MAX_AGE keeps each worker's
    connection), so a process that appears during a phase is counted from zero and one that
    vanishes is reported in `lost_processes`: its last part is missing from the figure."""

    def __init__(self, server: "Gunicorn", database_url: str):
        self.server, self.database_url = server, database_url

    def _processes(self) -> dict[str, list[int]]:
        return {
            "app": self.server.worker_pids,
            "db": database_backends(self.database_url),
        }

    def start(self) -> None:
        self.wait_idle()
        self.before = {
            kind: {pid: cpu_seconds(pid) for pid in pids}
            for kind, pids in self._processes().items()
        }

    def wait_idle(self, timeout: float = 120) -> None:
        """Wait until the workers and their database backends stop using CPU. When a load
        generator stops, the requests it had in flight are still being served: without this
        their CPU time would count in the next phase."""
        deadline, last = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            pids = [pid for pids in self._processes().values() for pid in pids]
            used = sum(cpu_seconds(pid) or 0.0 for pid in pids)
            if used == last:
                return
            last = used
            time.sleep(0.3)

    def stop(self) -> dict:
        now = self._processes()
        used, lost = {}, 0
        for kind, before in self.before.items():
            total = 0.0
            for pid in set(before) | set(now[kind]):
                after = cpu_seconds(pid)
                if after is None:
                    lost += 1
                    continue
                total += after - (before.get(pid) or 0.0)
            used[kind] = total
        db_readable = any(cpu_seconds(pid) is not None for pid in now["db"])
        return {
            "app_cpu_s": round(used["app"], 3),
            "db_cpu_s": round(used["db"], 3) if db_readable else None,
            "workers": len(now["app"]),
            "lost_processes": lost,
        }


def per_request(cpu: dict, requests: int) -> dict:
    """CPU milliseconds per request served, for the app (gunicorn workers) and the database."""

    def share(seconds):
        if seconds is None or not requests:
            return None
        return round(seconds * 1000 / requests, 2)

    return {"app_cpu_ms": share(cpu["app_cpu_s"]), "db_cpu_ms": share(cpu["db_cpu_s"])}


# Requests -----------------------------------------------------------------------------------


def _get(conn: http.client.HTTPConnection, path: str, headers: dict | None = None) -> int:
    # http.client reopens the connection by itself when gunicorn's sync workers close it.
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    response.read()
    return response.status


def sequential_latency(port: int, paths: list[str], repeats: int) -> dict:
    """One request at a time, cycling through paths: latency without queueing."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    samples, errors = [], 0
    try:
        for n in range(repeats):
            started = time.perf_counter()
            status = _get(conn, paths[n % len(paths)])
            samples.append((time.perf_counter() - started) * 1000)
            errors += status != 200
    finally:
        conn.close()
    return {**summarise(samples), "errors": errors}


def warm_up(port: int, paths: list[str], passes: int = 2) -> None:
    sequential_latency(port, paths, repeats=passes * len(paths))


def load(
    port: int,
    paths: list[str],
    *,
    seconds: float,
    connections: int,
    max_requests: int,
    headers: dict | None = None,
):
    """Requests per second with `connections` requests in flight, cycling through paths, each
    request sending `headers` (a session cookie, say). Stops after `seconds` or
    `max_requests`, whichever comes first."""
    if shutil.which("wrk"):
        return _load_wrk(port, paths, seconds, connections, max_requests, headers or {})
    return _load_threads(port, paths, seconds, connections, max_requests, headers or {})


# wrk runs this per thread; with one thread the request cap is global.
WRK_SCRIPT = """
local paths = {__PATHS__}
local max_requests = __MAX__
local sent, received = 0, 0

request = function()
  sent = sent + 1
  return wrk.format("GET", paths[(sent - 1) % #paths + 1])
end

response = function(status, headers, body)
  received = received + 1
  if received >= max_requests then wrk.thread:stop() end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT %d %d %d %d %d %d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def _load_wrk(port, paths, seconds, connections, max_requests, headers) -> dict:
    # json.dumps of an ASCII path is a valid Lua string literal.
    lua_paths = ", ".join(json.dumps(path, ensure_ascii=True) for path in paths)
    script = WRK_SCRIPT.replace("__PATHS__", lua_paths).replace("__MAX__", str(max_requests))
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script_file:
        script_file.write(script)
        script_file.flush()
        command = [
            "wrk",
            "--threads",
            "1",
            "--connections",
            str(connections),
            "--duration",
            f"{max(1, round(seconds))}s",  # wrk takes whole seconds only
            "--timeout",
            "10s",
            "--script",
            script_file.name,
            *(arg for name, value in headers.items() for arg in ("--header", f"{name}: {value}")),
            f"http://{HOST}:{port}/",
        ]
        output = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=seconds + 30
        ).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH_RESULT"))
    requests, duration_us, p50_us, p95_us, socket_errors, bad_status = map(int, line.split()[1:])
    return {
        "generator": "wrk",
        "requests": requests,
        "seconds": round(duration_us / 1e6, 2),
        "rps": round(requests / (duration_us / 1e6), 1),
        "p50_ms": round(p50_us / 1000, 2),
        "p95_ms": round(p95_us / 1000, 2),
        # wrk counts a socket the server closed mid-read as an error; gunicorn's sync worker
        # closes after each response, so a few are expected and harmless.
        "socket_errors": socket_errors,
        "non_2xx": bad_status,
        # wrk still waits out --duration after the cap stops its thread: rps is then too low.
        "capped": requests >= max_requests,
    }


def _load_threads(port, paths, seconds, connections, max_requests, headers) -> dict:
    issued = itertools.count()  # next() on it is atomic under the GIL
    samples: list[float] = []
    failures = {"socket_errors": 0, "non_2xx": 0}
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + seconds

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        mine, bad, broken = [], 0, 0
        n = offset
        while time.perf_counter() < deadline and next(issued) < max_requests:
            begun = time.perf_counter()
            try:
                bad += _get(conn, paths[n % len(paths)], headers) != 200
            except (OSError, http.client.HTTPException):
                broken += 1
                conn.close()  # the next request opens a fresh connection
            else:
                mine.append((time.perf_counter() - begun) * 1000)
            n += 1
        conn.close()
        with lock:
            samples.extend(mine)
            failures["socket_errors"] += broken
            failures["non_2xx"] += bad

    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "generator": "python",
        "requests": len(samples),
        "seconds": round(elapsed, 2),
        "rps": round(len(samples) / elapsed, 1),
        "p50_ms": round(percentile(samples, 0.50), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        **failures,
        "capped": len(samples) >= max_requests,
    }
