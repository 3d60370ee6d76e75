"""Load benchmark: the key pages rendered fresh every time, behind gunicorn on PostgreSQL, rotating over many people.

What it does, all on 127.0.0.1 and bounded in time:

1. creates a fresh PostgreSQL database, runs the migrations and seeds it with bench/seed_national.py at BENCH_SCALE
   of the national scale in DOMAIN.md over two years (1.0 = 500,000 beneficiaries, 200,000 vouchers, 5,000 coaches,
   about 2,000,000 sessions, 100,000 declarations, consistent to the cent), or, with BENCH_REUSE_DB=name, reuses
   that database when it was seeded at this scale (seeding it there otherwise, and keeping it);
2. starts gunicorn (2 workers x 4 threads, gthread) for the portal with production settings (sessions and rate-limit
   storage on Redis db 13, flushed before and after; rate limits off for the run), for the lean reference
   (bench/lean_app.py: the same content written as plainly as the stack allows) and for a bare Flask "hello"
   (bench/hello_app.py);
3. builds, in-process, each key page's rotation (bench/rotation.py): BENCH_PEOPLE (200) beneficiaries, vouchers and
   coaches, each logged in through the real login page, and the fund's and the employer's lists rotating over their
   filters and pages. wrk never asks for one URL again and again: each request is the next of the list
   (bench/wrk_rotate.lua). Nothing is served from a copy: there is no private page cache, and the public one only
   serves anonymous visitors;
4. measures in-process, on the same rotation, the SQL statements of one render (the most over 20 renders), the time
   a render waits for them (the mean over those 20, with the slowest statement) and the Python CPU of a render (the
   mean over BENCH_RENDERS renders, process time), for the portal and for the lean reference;
5. runs wrk (16 connections, 2 threads, after a short warm-up) on each page, alternating BENCH_ROUNDS (3) runs of
   BENCH_SECONDS (5) with as many runs of hello, each taken at its median run (the machine is shared, and gthread
   keeps a connection in the worker that accepted it, so one run is a poor measure);
6. prints per page: req/s, p95, CPU ms per render, SQL statements and their ms, the ratio of its CPU to the lean reference's and
   of its throughput to hello's, and a verdict against the goal of issue 18: at most 4 ms of CPU per render, within
   1.5 x of the lean reference, at least 250 req/s and p95 under 100 ms, and at most 5 statements for a page, 3 for
   an API call. Exit status 1 when a page misses it;
7. stops the servers and drops the database (not a reused one), also on errors.

Run (wrk must be installed: `apt-get install -y wrk`):

    .venv/bin/python bench/load_bench.py                        # 0.1 of the national scale
    BENCH_SCALE=1 BENCH_REUSE_DB=bench_national .venv/bin/python bench/load_bench.py   # national, seeded once
    BENCH_SCALE=0.02 BENCH_SECONDS=3 BENCH_ROUNDS=1 .venv/bin/python bench/load_bench.py   # a quick look
    BENCH_ONLY=admin .venv/bin/python bench/load_bench.py       # only the pages whose label holds "admin"

Other settings: BENCH_WORKERS and BENCH_THREADS (gunicorn, default 2 x 4, for all three apps), BENCH_WARMUP
(seconds of wrk before each measured page, default 2), BENCH_PG (the PostgreSQL server), BENCH_REDIS (default
redis://127.0.0.1:6379/13, flushed), BENCH_TIMEOUT (the whole run, default 3600 s), BENCH_KEEP=1 (keep the database).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCALE = float(os.environ.get("BENCH_SCALE", "0.1"))
REUSE = os.environ.get("BENCH_REUSE_DB")

from bench import seed_national
from bench.common import drop_database, step
from bench.national_people import Sizes
from bench.rotation import (
    USER_AGENT,
    Page,
    build_pages,
    write_rotation,
)

DB_NAME = REUSE or "tnw_bench_load"
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
PEOPLE = int(os.environ.get("BENCH_PEOPLE", "200"))
RENDERS = int(os.environ.get("BENCH_RENDERS", "200"))
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13")
TIMEOUT = int(os.environ.get("BENCH_TIMEOUT", "3600"))
CONNECTIONS, THREADS = 16, 2
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
WORKER_THREADS = int(os.environ.get("BENCH_THREADS", "4"))
GOAL_CPU_MS, GOAL_LEAN_RATIO, GOAL_RPS, GOAL_P95_MS = 4.0, 1.5, 250.0, 100.0
GUNICORN = Path(sys.executable).parent / "gunicorn"
# Bench users' passwords are hashed cheaply (they log in hundreds of times in-process); the servers never check them.
CHEAP_HASHES = seed_national.CHEAP_HASHES


class BenchTimeout(Exception):
    pass


@dataclass
class Result:
    rps: float
    p50: float
    p95: float
    p99: float
    non2xx: int
    socket_errors: int
    requests: int


def median_run(runs: list[Result]) -> Result:
    """The run with the median throughput (the upper one of an even count)."""
    return sorted(runs, key=lambda r: r.rps)[len(runs) // 2]


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is not installed. Install it with `apt-get install -y wrk` (Debian package; run "
                 "`apt-get update` first if apt finds nothing), then run this benchmark again.")
    return wrk


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()


def start_gunicorn(app_spec: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [str(GUNICORN), "--chdir", str(ROOT), "--worker-class", "gthread", "--workers", str(WORKERS),
               "--threads", str(WORKER_THREADS), "--bind", f"127.0.0.1:{port}", "--timeout", "30",
               "--graceful-timeout", "5", "--log-level", "warning", app_spec]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_ready(process: subprocess.Popen[bytes], url: str, log: Path, seconds: float = 60) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn not ready at {url} after {seconds:.0f} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()  # the master stops its workers gracefully
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the group this script started for this server
        process.wait(timeout=5)


def run_wrk(wrk: str, base: str, rotation: Path | None, seconds: int) -> Result:
    """wrk on ``base``; with a rotation file, each request is its next line (bench/wrk_rotate.lua)."""
    script = ROOT / "bench" / ("wrk_rotate.lua" if rotation else "wrk_p95.lua")
    command = [wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
               "-H", f"User-Agent: {USER_AGENT}", base + "/"]
    if rotation:
        command += ["--", str(rotation), USER_AGENT]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-1000:]} {done.stderr[-1000:]}")
    values = dict(pair.split("=", 1) for pair in line.split()[1:])
    return Result(rps=float(values["rps"]), p50=float(values["p50_ms"]), p95=float(values["p95_ms"]),
                  p99=float(values["p99_ms"]), non2xx=int(values["non2xx"]),
                  socket_errors=sum(int(values[k]) for k in ("connect_errors", "read_errors", "write_errors",
                                                                 "timeouts")),
                  requests=int(values["requests"]))


def in_process(app: Any, engine: Any, page: Page) -> tuple[int, float, float, tuple[float, str]]:
    """The most SQL statements of one render over 20 renders of the rotation, the mean Python CPU of a render
    (process time) over RENDERS renders, after each request was made once, the mean time a render waited for its
    statements over those 20 (database and driver, wall clock) and the slowest statement seen (ms, SQL)."""
    from sqlalchemy import event

    client = app.test_client(use_cookies=False)
    rotation = page.requests
    for path, headers in rotation[:RENDERS]:
        answer = client.get(path, headers={"User-Agent": USER_AGENT, **headers})
        if answer.status_code != 200:
            raise RuntimeError(f"{page.label}: GET {path} answered {answer.status_code} in-process")
    seen: list[int] = []
    counted, waited, slowest = [0], [0.0], [(0.0, "")]

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        counted[0] += 1
        conn.info["bench_started"] = time.perf_counter()

    def done(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        took = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
        waited[0] += took
        slowest[0] = max(slowest[0], (took, " ".join(statement.split())))

    if engine is not None:
        event.listen(engine, "before_cursor_execute", note)
        event.listen(engine, "after_cursor_execute", done)
        try:
            for path, headers in rotation[:20]:
                counted[0] = 0
                client.get(path, headers={"User-Agent": USER_AGENT, **headers})
                seen.append(counted[0])
        finally:
            event.remove(engine, "before_cursor_execute", note)
            event.remove(engine, "after_cursor_execute", done)
    renders = [rotation[n % len(rotation)] for n in range(RENDERS)]
    started = time.process_time()
    for path, headers in renders:
        client.get(path, headers={"User-Agent": USER_AGENT, **headers})
    cpu = (time.process_time() - started) / len(renders) * 1000
    return (max(seen) if seen else -1), cpu, waited[0] / max(1, len(seen)), slowest[0]


def on_alarm(signum, frame):  # type: ignore[no-untyped-def]
    raise BenchTimeout(f"the benchmark ran longer than BENCH_TIMEOUT={TIMEOUT} s")


def verdict(page: Page, result: Result, cpu_ms: float, lean_ratio: float | None, sql: int) -> list[str]:
    misses = []
    if cpu_ms > GOAL_CPU_MS:
        misses.append(f"CPU {cpu_ms:.1f} ms > {GOAL_CPU_MS:g}")
    if lean_ratio is not None and lean_ratio > GOAL_LEAN_RATIO:
        misses.append(f"{lean_ratio:.2f} x lean > {GOAL_LEAN_RATIO:g}")
    if result.rps < GOAL_RPS:
        misses.append(f"{result.rps:.0f} req/s < {GOAL_RPS:.0f}")
    if result.p95 >= GOAL_P95_MS:
        misses.append(f"p95 {result.p95:.0f} ms >= {GOAL_P95_MS:.0f}")
    if sql > page.budget:
        misses.append(f"{sql} statements > {page.budget}")
    if result.non2xx or result.socket_errors:
        misses.append(f"{result.non2xx} 4xx/5xx, {result.socket_errors} socket errors")
    return misses


def main() -> int:
    wrk = require_wrk()
    load_before = os.getloadavg()
    print(f"Load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} "
          f"on {os.cpu_count()} CPUs", flush=True)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TIMEOUT)
    instance = Path(tempfile.mkdtemp(prefix="tnw-load-bench-"))
    started = time.monotonic()
    db_url = seed_national.prepare(DB_NAME, Sizes(SCALE, int(os.environ.get("BENCH_YEARS", "2"))), reuse=bool(REUSE))
    env = {**os.environ, "DATABASE_URL": db_url, "SESSION_REDIS_URL": REDIS_URL, "RATELIMIT_STORAGE_URI": REDIS_URL,
           "RATELIMIT_ENABLED": "false", "SECRET_KEY": secrets.token_urlsafe(48),
           "PORTAL_INSTANCE_PATH": str(instance), "MAIL_BACKEND": "console", "PYTHONUNBUFFERED": "1"}
    processes: list[subprocess.Popen[bytes]] = []
    app = None
    try:
        flush_redis()
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "SESSION_REDIS_URL", "RATELIMIT_STORAGE_URI",
                                               "RATELIMIT_ENABLED", "SECRET_KEY", "PORTAL_INSTANCE_PATH",
                                               "MAIL_BACKEND")})
        from flask_migrate import upgrade

        from portal import create_app

        app = create_app(CHEAP_HASHES)  # the servers' settings otherwise, read from the same environment
        with step("migrations"), app.app_context():
            upgrade(revision="heads")
        data = seed_national.rotation_data(db_url, PEOPLE)
        seeded_in = time.monotonic() - started

        os.environ["BENCH_LEAN_DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]
        env["BENCH_LEAN_DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]
        ports = {name: free_port() for name in ("portal", "lean", "hello")}
        bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        with step(f"gunicorn ({WORKERS} workers x {WORKER_THREADS} threads, gthread): portal on {ports['portal']}, "
                  f"lean reference on {ports['lean']}, hello on {ports['hello']}"):
            for name, spec in (("portal", "portal:create_app()"), ("lean", "bench.lean_app:app"),
                               ("hello", "bench.hello_app:app")):
                processes.append(start_gunicorn(spec, ports[name], env, instance / f"{name}.log"))
            for name, process in zip(ports, processes, strict=True):
                wait_ready(process, bases[name] + ("/" if name == "hello" else "/healthz"), instance / f"{name}.log")

        with step(f"rotations: {PEOPLE} people and objects per page where the data has them; logins"):
            pages = build_pages(app, data, PEOPLE)
        only = os.environ.get("BENCH_ONLY")
        pages = [page for page in pages if not only or only in page.label]

        from bench import lean_app
        from portal.db import db

        with app.app_context():
            engine = db.engine
        measured: dict[str, tuple[int, float, float | None, float, tuple[float, str]]] = {}
        with step(f"in-process: statements and CPU per render ({RENDERS} renders of each rotation), portal and lean"):
            for page in pages:
                sql, cpu, waited, slowest = in_process(app, engine, page)
                lean = None
                if page.requests[0][0].startswith(lean_app.LEAN_PATHS) and not page.label.startswith(
                        "/api/v1/voucher-requests"):
                    lean = in_process(lean_app.app, None, page)[1]
                measured[page.label] = (sql, cpu, lean, waited, slowest)

        print(f"\nScale {SCALE:g}: " + ", ".join(f"{n:,} {table.replace('_', ' ')}" for table, n in data["counts"].items())
              + f"; {'reused' if REUSE else 'seeded'} in {seeded_in:.0f} s. wrk: {CONNECTIONS} connections, "
              f"{THREADS} threads, {ROUNDS} runs of {SECONDS} s per page alternating with hello, after {WARMUP} s "
              f"of warm-up.", flush=True)
        results: dict[str, tuple[Result, Result]] = {}
        if WARMUP:
            run_wrk(wrk, bases["hello"], None, WARMUP)
        for page in pages:
            rotation = instance / f"rotation-{len(results)}.txt"
            write_rotation(page, rotation)
            if WARMUP:
                run_wrk(wrk, bases["portal"], rotation, WARMUP)
            runs, hellos = [], []
            for _ in range(ROUNDS):
                hellos.append(run_wrk(wrk, bases["hello"], None, SECONDS))
                runs.append(run_wrk(wrk, bases["portal"], rotation, SECONDS))
            results[page.label] = (median_run(runs), median_run(hellos))
            print(f"  {page.label}: {len(page.requests)} distinct requests; runs "
                  f"{' / '.join(f'{r.rps:,.0f}' for r in runs)} req/s; hello beside them "
                  f"{' / '.join(f'{r.rps:,.0f}' for r in hellos)}", flush=True)

        width = max(len(page.label) for page in pages)
        header = (f"{'page (uncached, rotating)':<{width}}  {'req/s':>6}  {'p95 ms':>7}  {'CPU ms':>6}  {'lean ms':>7}  "
                  f"{'x lean':>6}  {'x hello':>7}  {'SQL':>5}  {'SQL ms':>6}")
        print(f"\n{header}\n" + "-" * len(header))
        failures = 0
        verdicts = []
        for page in pages:
            result, hello = results[page.label]
            sql, cpu, lean, waited, _slowest = measured[page.label]
            lean_ratio = cpu / lean if lean else None
            print(f"{page.label:<{width}}  {result.rps:>6,.0f}  {result.p95:>7.1f}  {cpu:>6.2f}  "
                  f"{'-' if lean is None else f'{lean:.2f}':>7}  {'-' if lean_ratio is None else f'{lean_ratio:.2f}':>6}"
                  f"  {result.rps / hello.rps:>7.2f}  {sql:>2}/{page.budget}  {waited:>6.1f}")
            misses = verdict(page, result, cpu, lean_ratio, sql)
            failures += bool(misses)
            verdicts.append(f"{'OK' if not misses else 'MISSED':<7} {page.label}"
                            + (f"  ({'; '.join(misses)})" if misses else ""))
        print("\n" + "\n".join(verdicts))
        print("\nSlowest statement of each page (in-process, 20 renders), where a render waits 5 ms or more for SQL:")
        for page in pages:
            waited, (took, statement) = measured[page.label][3:]
            if waited >= 5:
                print(f"  {page.label}: {took:.1f} ms: {statement[:300]}")
        hellos = sorted(h.rps for _r, h in results.values())
        load_after = os.getloadavg()
        print(f"\nhello: {hellos[0]:,.0f} to {hellos[-1]:,.0f} req/s. Load average after: {load_after[0]:.2f} "
              f"{load_after[1]:.2f} {load_after[2]:.2f} (before: {load_before[0]:.2f}); {os.cpu_count()} CPUs shared "
              f"by wrk, the servers and PostgreSQL.")
        return 1 if failures else 0
    finally:
        signal.alarm(0)
        for process in processes:
            stop(process)
        if app is not None:
            from portal.db import db

            with app.app_context():
                db.engine.dispose()
        try:
            flush_redis()
        except Exception as error:  # noqa: BLE001 - cleanup goes on
            print(f"could not flush {REDIS_URL}: {error}", file=sys.stderr)
        if os.environ.get("BENCH_KEEP") != "1" and not REUSE:
            drop_database(DB_NAME)
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
