"""Percentiles of latency samples, shared by the in-process and the HTTP measurements."""

import statistics


def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between the closest ranks (what numpy calls "linear")."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarise(samples_ms: list[float]) -> dict:
    return {
        "n": len(samples_ms),
        "p50_ms": round(percentile(samples_ms, 0.50), 2),
        "p95_ms": round(percentile(samples_ms, 0.95), 2),
        "mean_ms": round(statistics.fmean(samples_ms), 2) if samples_ms else None,
        "max_ms": round(max(samples_ms), 2) if samples_ms else None,
    }


def django_on_fresh_database(url: str) -> None:
    """Drop and create the benchmark's own database, set Django up on it and migrate, so a
    benchmark never touches the developer's data."""
    import os
    import subprocess

    name = url.rsplit("/", 1)[1]
    for command in ("dropdb", "createdb"):
        extra = ["--if-exists"] if command == "dropdb" else []
        subprocess.run([command, "-h", "127.0.0.1", "-U", "postgres", *extra, name], check=True)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
