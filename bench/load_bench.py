"""Load benchmark: the portal behind gunicorn on PostgreSQL, against a bare Flask "hello" on the same settings.

What it does, all on 127.0.0.1 and bounded in time:

1. creates a fresh PostgreSQL database, runs the migrations and loads it: the marketplace of
   bench/marketplace_bench.py (550 providers, 10,000 contact points) and the beneficiaries, requests and
   vouchers of bench/vouchers_bench.py at BENCH_SCALE of the national scale in DOMAIN.md (1.0 = 500,000
   beneficiaries, 100,000 vouchers, 60,000 open or closed requests);
2. starts gunicorn for the portal with production-like settings (2 workers x 4 threads, gthread; sessions and
   rate-limit storage on Redis db 13, flushed before and after; rate limits off for the run) and gunicorn for
   bench/hello_app.py with the same worker settings on another port;
3. logs in through the real login page (CSRF token from the form) as a beneficiary holding a voucher and as a
   fund administrator, and gets a bearer token for each from POST /api/v1/auth/token;
4. runs wrk (16 connections, 2 threads, BENCH_SECONDS per target, after a short warm-up) against the bare
   hello app and each key page and API call, and prints requests/s, p50, p95, the count of 4xx/5xx answers,
   the ratio to hello, the SQL statements one request runs, and a verdict per target:
   OK when the ratio is at least 1/3 and p95 is under 100 ms (issue 9), else TOO SLOW;
   Anonymous public pages are served from the public page cache (portal/public_cache.py, PUBLIC_CACHE_SECONDS,
   30 s in production) once rendered: the "(uncached)" target sends a new URL each time to show the page's
   own cost as well;
5. stops both servers and drops the database, also on errors. Exit status 1 when a target is not OK.

Run (wrk must be installed: `apt-get install -y wrk`):

    .venv/bin/python bench/load_bench.py                       # 0.1 of the national scale, a few minutes
    BENCH_SCALE=1 .venv/bin/python bench/load_bench.py         # full national scale (loading takes longer)
    BENCH_SECONDS=30 .venv/bin/python bench/load_bench.py      # longer runs per target, steadier figures

Other settings: BENCH_WORKERS and BENCH_THREADS (gunicorn, default 2 x 4, for both apps alike),
BENCH_WARMUP (seconds of wrk before each measured run, default 2), BENCH_PG (the
PostgreSQL server, default postgresql://postgres@127.0.0.1:5432), BENCH_REDIS (default
redis://127.0.0.1:6379/13, flushed), BENCH_TIMEOUT (the whole run, default 1800 s), BENCH_KEEP=1 (keep the
database). The machine is shared and noisy: compare the ratios of one run, not absolute figures across runs.
"""

from __future__ import annotations

import os
import re
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

# The loaders read their scale when imported: set it first (default 0.1 of the national scale).
SCALE = float(os.environ.get("BENCH_SCALE", "0.1"))
os.environ["BENCH_SCALE"] = str(SCALE)

from bench import common  # noqa: E402
from bench.common import drop_database, fresh_database, step  # noqa: E402

DB_NAME = "tnw_bench_load"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13")
TIMEOUT = int(os.environ.get("BENCH_TIMEOUT", "1800"))
CONNECTIONS, THREADS = 16, 2
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
WORKER_THREADS = int(os.environ.get("BENCH_THREADS", "4"))
PASSWORD = "bench-password"
USER_AGENT = "tnw-load-bench"  # the same for the login and for wrk: Flask-Login's session protection sees one client
MIN_RATIO, MAX_P95_MS = 1 / 3, 100.0
WRK_SCRIPT = ROOT / "bench" / "wrk_p95.lua"
GUNICORN = Path(sys.executable).parent / "gunicorn"


class BenchTimeout(Exception):
    pass


@dataclass
class Target:
    label: str
    server: str  # "hello" or "portal"
    path: str
    headers: dict[str, str]
    # A new URL for every request (wrk adds a random `_v=` parameter): no response can come from the public page
    # cache, so this measures the page's own work. Judged like the others, and printed beside the cached figure.
    uncached: bool = False


@dataclass
class Result:
    rps: float
    p50: float
    p95: float
    p99: float
    non2xx: int
    socket_errors: int
    requests: int


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
    handle = log.open("wb")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_ready(process: subprocess.Popen[bytes], url: str, log: Path, seconds: float = 60) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
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


def browser_login(base: str, email: str) -> str:
    """Log in through the real login page; return the Cookie header of the logged-in session."""
    import requests

    with requests.Session() as browser:
        browser.headers["User-Agent"] = USER_AGENT
        page = browser.get(f"{base}/login", timeout=30)
        page.raise_for_status()
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text) or \
            re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page.text)
        if found is None:
            raise RuntimeError("no csrf_token in the login form")
        answer = browser.post(f"{base}/login", data={"email": email, "password": PASSWORD,
                                                     "csrf_token": found.group(1)},
                              allow_redirects=False, timeout=60)
        if answer.status_code != 302:
            raise RuntimeError(f"login as {email} answered {answer.status_code}, not a redirect")
        return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


def bearer_token(base: str, email: str) -> str:
    import requests

    answer = requests.post(f"{base}/api/v1/auth/token", json={"email": email, "password": PASSWORD},
                           headers={"User-Agent": USER_AGENT}, timeout=60)
    answer.raise_for_status()
    return str(answer.json()["token"])


def check_target(base: str, target: Target) -> None:
    """Each target must answer 200 itself (not a redirect to the login page) before it is measured."""
    import requests

    answer = requests.get(base + target.path, headers=target.headers, allow_redirects=False, timeout=30)
    if answer.status_code != 200:
        raise RuntimeError(f"{target.label}: GET {target.path} answered {answer.status_code}: {answer.text[:300]}")


def run_wrk(wrk: str, url: str, headers: dict[str, str], seconds: int, *, uncached: bool = False) -> Result:
    command = [wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(WRK_SCRIPT)]
    for name, value in {"User-Agent": USER_AGENT, **headers}.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    env = {**os.environ, "WRK_VARY_QUERY": "1" if uncached else "0"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, env=env)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-1000:]} {done.stderr[-1000:]}")
    values = dict(pair.split("=", 1) for pair in line.split()[1:])
    return Result(rps=float(values["rps"]), p50=float(values["p50_ms"]), p95=float(values["p95_ms"]),
                  p99=float(values["p99_ms"]), non2xx=int(values["non2xx"]),
                  socket_errors=sum(int(values[k]) for k in ("connect_errors", "read_errors", "write_errors",
                                                                 "timeouts")),
                  requests=int(values["requests"]))


def count_queries(app: Any, targets: list[Target]) -> dict[str, int]:
    """SQL statements one request of each portal target runs (in-process, same database, sessions and tokens)."""
    from sqlalchemy import event

    from portal.db import db

    with app.app_context():
        engine = db.engine
    counts: dict[str, int] = {}
    statements: list[str] = []

    def grab(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    client = app.test_client(use_cookies=False)
    event.listen(engine, "before_cursor_execute", grab)
    try:
        for target in targets:
            if target.server != "portal":
                continue
            path = target.path
            client.get(path, headers={"User-Agent": USER_AGENT, **target.headers})  # warm
            if target.uncached:  # as wrk sends it: a URL the public page cache has not seen
                path += ("&" if "?" in path else "?") + "_v=count"
            statements.clear()
            response = client.get(path, headers={"User-Agent": USER_AGENT, **target.headers})
            counts[target.label] = len(statements) if response.status_code == 200 else -1
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return counts


def load_data(url: str) -> dict[str, Any]:
    """The marketplace loader, then the vouchers loader over the same providers (both reused, not copied)."""
    from bench import marketplace_bench, vouchers_bench
    from portal.clock import today_in_brussels

    today = today_in_brussels()
    marketplace_bench.VOUCHERS = 0  # the people and vouchers come from the vouchers loader below
    marketplace = marketplace_bench.load(url, today)

    # The vouchers loader inserts its own 21 providers with ids 1..21; they exist already (from the
    # marketplace), so its providers COPY is skipped and its requests and vouchers point at those.
    def copy_except_providers(conn, table, columns, rows):  # type: ignore[no-untyped-def]
        return 0 if table == "providers" else common.copy_rows(conn, table, columns, rows)

    original = vouchers_bench.copy_rows
    vouchers_bench.copy_rows = copy_except_providers
    try:
        people = vouchers_bench.load(url, today)
    finally:
        vouchers_bench.copy_rows = original
    holders = people["voucher_holders"]
    # A beneficiary whose voucher is in progress (vouchers_bench: every id not divisible by 3), so the dashboard
    # and the voucher show a balance with usage.
    holder = next(h for h in holders[len(holders) // 2:] if h % 3)
    return {"holder": holder, "voucher_id": holder, "admin_email": "admin@bench.tnw.be",
            "profile_id": marketplace["profile_id"], "scale": (vouchers_bench.BENEFICIARIES,
                                                               vouchers_bench.VOUCHERS,
                                                               vouchers_bench.VOUCHERS + vouchers_bench.OPEN_REQUESTS),
            "contact_points": marketplace_bench.CONTACT_POINTS, "providers": marketplace_bench.PROVIDERS}


def on_alarm(signum, frame):  # type: ignore[no-untyped-def]
    raise BenchTimeout(f"the benchmark ran longer than BENCH_TIMEOUT={TIMEOUT} s")


def main() -> int:
    wrk = require_wrk()
    load_before = os.getloadavg()
    print(f"Load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} "
          f"on {os.cpu_count()} CPUs", flush=True)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TIMEOUT)

    instance = Path(tempfile.mkdtemp(prefix="tnw-load-bench-"))
    db_url = fresh_database(DB_NAME)
    env = {**os.environ, "DATABASE_URL": db_url, "SESSION_REDIS_URL": REDIS_URL, "RATELIMIT_STORAGE_URI": REDIS_URL,
           "RATELIMIT_ENABLED": "false", "SECRET_KEY": secrets.token_urlsafe(48),
           "PORTAL_INSTANCE_PATH": str(instance), "MAIL_BACKEND": "console", "PYTHONUNBUFFERED": "1"}
    portal_proc = hello_proc = None
    app = None
    try:
        flush_redis()
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "SESSION_REDIS_URL", "RATELIMIT_STORAGE_URI",
                                               "RATELIMIT_ENABLED", "SECRET_KEY", "PORTAL_INSTANCE_PATH",
                                               "MAIL_BACKEND")})
        from flask_migrate import upgrade

        from portal import create_app

        app = create_app()  # the same settings as the servers below, read from the same environment
        with step("migrations"), app.app_context():
            upgrade()
        data = load_data(app.config["SQLALCHEMY_DATABASE_URI"])

        portal_port, hello_port = free_port(), free_port()
        portal_base, hello_base = f"http://127.0.0.1:{portal_port}", f"http://127.0.0.1:{hello_port}"
        with step(f"gunicorn ({WORKERS} workers x {WORKER_THREADS} threads, gthread): portal on {portal_port}, "
                  f"hello on {hello_port}"):
            portal_proc = start_gunicorn("portal:create_app()", portal_port, env, instance / "portal.log")
            hello_proc = start_gunicorn("bench.hello_app:app", hello_port, env, instance / "hello.log")
            wait_ready(portal_proc, f"{portal_base}/api/v1/providers?limit=1", instance / "portal.log")
            wait_ready(hello_proc, f"{hello_base}/", instance / "hello.log")

        beneficiary_email = f"person{data['holder']}@bench.tnw.be"
        with step(f"log in as {beneficiary_email} and {data['admin_email']}; bearer tokens"):
            beneficiary_cookie = browser_login(portal_base, beneficiary_email)
            admin_cookie = browser_login(portal_base, data["admin_email"])
            beneficiary_bearer = bearer_token(portal_base, beneficiary_email)
            admin_bearer = bearer_token(portal_base, data["admin_email"])

        targets = [
            Target("bare Flask hello", "hello", "/", {}),
            Target("GET /providers?place=4000", "portal", "/providers?place=4000", {}),
            Target("GET /providers?place=4000 (uncached)", "portal", "/providers?place=4000", {}, uncached=True),
            Target("GET /api/v1/providers?region=liege", "portal", "/api/v1/providers?region=liege", {}),
            Target("GET /my (beneficiary)", "portal", "/my", {"Cookie": beneficiary_cookie}),
            Target("GET /admin/requests (fund admin)", "portal", "/admin/requests", {"Cookie": admin_cookie}),
            Target("GET /api/v1/admin/voucher-requests?status=submitted", "portal",
                   "/api/v1/admin/voucher-requests?status=submitted", {"Authorization": f"Bearer {admin_bearer}"}),
            Target(f"GET /api/v1/vouchers/{data['voucher_id']}", "portal", f"/api/v1/vouchers/{data['voucher_id']}",
                   {"Authorization": f"Bearer {beneficiary_bearer}"}),
        ]
        bases = {"hello": hello_base, "portal": portal_base}
        for target in targets:
            check_target(bases[target.server], target)
        queries = count_queries(app, targets)

        beneficiaries, vouchers, requests_total = data["scale"]
        print(f"\nScale {SCALE:g}: {beneficiaries:,} beneficiaries, {vouchers:,} vouchers, {requests_total:,} "
              f"requests; {data['providers']:,} providers, {data['contact_points']:,} contact points. "
              f"wrk: {CONNECTIONS} connections, {THREADS} threads, {SECONDS} s per target after {WARMUP} s "
              "warm-up.", flush=True)
        results: dict[str, Result] = {}
        for target in targets:
            url = bases[target.server] + target.path
            if WARMUP:
                run_wrk(wrk, url, target.headers, WARMUP, uncached=target.uncached)
            results[target.label] = run_wrk(wrk, url, target.headers, SECONDS, uncached=target.uncached)
            r = results[target.label]
            print(f"  measured {target.label}: {r.rps:,.0f} req/s, p95 {r.p95:.1f} ms", flush=True)

        hello_rps = results["bare Flask hello"].rps
        width = max(len(t.label) for t in targets)
        header = (f"{'target':<{width}}  {'req/s':>8}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}  "
                  f"{'non-2xx/3xx':>11}  {'ratio':>6}  {'SQL/req':>7}")
        print("\n" + header + "\n" + "-" * len(header))
        for target in targets:
            r = results[target.label]
            sql = queries.get(target.label)
            print(f"{target.label:<{width}}  {r.rps:>8,.0f}  {r.p50:>7.1f}  {r.p95:>7.1f}  {r.p99:>7.1f}  "
                  f"{r.non2xx + r.socket_errors:>11}  {r.rps / hello_rps:>6.2f}  "
                  f"{'-' if sql is None else sql:>7}")
        print()
        failures = 0
        for target in targets[1:]:
            r = results[target.label]
            ratio = r.rps / hello_rps
            ok = ratio >= MIN_RATIO and r.p95 < MAX_P95_MS and r.non2xx + r.socket_errors == 0
            failures += not ok
            why = []
            if ratio < MIN_RATIO:
                why.append(f"ratio {ratio:.2f} < 0.33")
            if r.p95 >= MAX_P95_MS:
                why.append(f"p95 {r.p95:.0f} ms >= {MAX_P95_MS:.0f} ms")
            if r.non2xx + r.socket_errors:
                why.append(f"{r.non2xx} 4xx/5xx answers, {r.socket_errors} socket errors")
            print(f"{'OK' if ok else 'TOO SLOW':<8} {target.label}" + (f"  ({'; '.join(why)})" if why else ""))
        load_after = os.getloadavg()
        print(f"\nLoad average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} "
              f"(before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}); "
              f"{os.cpu_count()} CPUs shared by wrk, both servers and PostgreSQL.")
        return 1 if failures else 0
    finally:
        signal.alarm(0)
        stop(portal_proc)
        stop(hello_proc)
        if app is not None:
            from portal.db import db

            with app.app_context():
                db.engine.dispose()
        try:
            flush_redis()
        except Exception as error:  # noqa: BLE001 - cleanup goes on
            print(f"could not flush {REDIS_URL}: {error}", file=sys.stderr)
        if os.environ.get("BENCH_KEEP") != "1":
            drop_database(DB_NAME)
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
