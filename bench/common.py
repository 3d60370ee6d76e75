"""Shared pieces of the benchmarks: a fresh PostgreSQL database, bulk loading, timing."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import psycopg

SERVER = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def fresh_database(name: str) -> str:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{SERVER}/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The portal in a benchmark's own process: no rate limits, sessions on disk, e-mails printed.
BENCH_APP_SETTINGS: dict[str, Any] = {"RATELIMIT_ENABLED": False, "SESSION_DIRECTORY": "/tmp/tnw-bench-sessions",
                                      "MAIL_BACKEND": "console"}


def migrated_app(url: str, overrides: dict[str, Any] | None = None) -> Any:
    """The portal on a benchmark's database (BENCH_APP_SETTINGS, then ``overrides``), its migrations run."""
    from flask_migrate import upgrade

    from portal import create_app

    os.environ.setdefault("PORTAL_INSTANCE_PATH", "/tmp/tnw-bench-instance")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **BENCH_APP_SETTINGS, **(overrides or {})})
    with app.app_context():
        upgrade()
    return app


def drop_unless_kept(app: Any, name: str) -> None:
    """Close the app's connections and drop the benchmark's database, unless BENCH_KEEP=1 keeps it."""
    if os.environ.get("BENCH_KEEP") == "1":
        return
    from portal.db import db

    with app.app_context():
        db.engine.dispose()
    drop_database(name)


def copy_rows(conn: psycopg.Connection, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
    count = 0
    with conn.cursor() as cur:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def fast_niss(i: int) -> str:
    """A valid, unique national register number for row i (birth date and serial from i)."""
    birth = date(1950, 1, 1) + timedelta(days=i // 997)
    serial = i % 997 + 1
    base = f"{birth:%y%m%d}{serial:03d}"
    check = 97 - int(("2" if birth.year >= 2000 else "") + base) % 97
    return f"{base}{check:02d}"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def measure(label: str, call: Callable[[], Any], runs: int) -> dict[str, float]:
    call()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    result = {"median_ms": statistics.median(times), "p95_ms": percentile(times, 95), "runs": runs}
    print(f"{label:<55} median {result['median_ms']:7.1f} ms   p95 {result['p95_ms']:7.1f} ms   ({runs} runs)")
    return result


@contextmanager
def step(label: str):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    print(f"… {label}", flush=True)
    yield
    print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)
