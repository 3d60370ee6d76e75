"""Load benchmark: the portal behind gunicorn on PostgreSQL, against a bare Flask "hello" on the same settings.

What it does, all on 127.0.0.1 and bounded in time:

1. creates a fresh PostgreSQL database, runs the migrations and loads it: the marketplace of
   bench/marketplace_bench.py (550 providers, 10,000 contact points) and the beneficiaries, requests and
   vouchers of bench/vouchers_bench.py at BENCH_SCALE of the national scale in DOMAIN.md (1.0 = 500,000
   beneficiaries, 100,000 vouchers, 60,000 open or closed requests), the coaches, hours and sessions of
   bench/coach_week_bench.py at the same fraction of its 5,000 coaches and 2,000,000 sessions, and one
   employer with BENCH_DECLARATIONS (1,000) declarations imported through the API;
2. starts gunicorn for the portal with production-like settings (2 workers x 4 threads, gthread; sessions,
   rate-limit storage and the private page cache on Redis db 13, flushed before and after; rate limits off for
   the run), a second portal with both page caches off (PUBLIC_CACHE_SECONDS=0, PRIVATE_CACHE_SECONDS=0), and
   gunicorn for bench/hello_app.py, all with the same worker settings on their own ports;
3. logs in through the real login page (CSRF token from the form) as a beneficiary holding a voucher, a
   provider's administrator, an employer's payroll clerk and a fund administrator, and gets a bearer token for
   each from POST /api/v1/auth/token;
4. runs wrk (16 connections, 2 threads, after a short warm-up) against each key page and API call,
   alternating BENCH_ROUNDS (3) runs of BENCH_SECONDS (5) with as many runs of the bare hello app, and takes
   each at its median run (see main() for why one run is not enough); prints requests/s, p50, p95, the count
   of 4xx/5xx answers, hello's requests/s beside it, the ratio, the SQL statements one render runs, and a
   verdict per target:
   OK when the ratio is at least 1/3 and p95 is under 100 ms (issue 9), else TOO SLOW.
   The production settings serve a page again from a short-lived copy while nothing changed: anonymous pages
   from the public page cache (portal/public_cache.py, 30 s), logged-in people's own pages from the private
   page cache (portal/private_cache.py, 10 s, dropped at the next database write). wrk asks for the same
   page again and again, so these figures are the best case. The same targets on the second portal, with
   no copies, show what each render costs; they are printed for information and not judged;
5. stops both servers and drops the database, also on errors. Exit status 1 when a target is not OK.

Run (wrk must be installed: `apt-get install -y wrk`):

    .venv/bin/python bench/load_bench.py                       # 0.1 of the national scale, a few minutes
    BENCH_SCALE=1 .venv/bin/python bench/load_bench.py         # full national scale (loading takes longer)
    BENCH_SECONDS=10 BENCH_ROUNDS=5 .venv/bin/python bench/load_bench.py   # more and longer runs, steadier figures

Other settings: BENCH_WORKERS and BENCH_THREADS (gunicorn, default 2 x 4, for both apps alike),
BENCH_WARMUP (seconds of wrk before each measured run, default 2), BENCH_ONLY (measure only the pages whose
label holds this text, e.g. BENCH_ONLY=admin), BENCH_PG (the
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
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
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
NO_COPIES = {"PUBLIC_CACHE_SECONDS": 0, "PRIVATE_CACHE_SECONDS": 0}
EMPLOYER_EMAIL = "payroll@bench.tnw.be"
EMPLOYER_DECLARATIONS = int(os.environ.get("BENCH_DECLARATIONS", "1000"))
PROVIDER_ADMIN_EMAIL = "admin1@bench.tnw.be"  # bench/coach_week_bench.py: provider 1's administrator, coach 1's


class BenchTimeout(Exception):
    pass


@dataclass
class Target:
    label: str
    server: str  # "hello", "portal" (production settings) or "raw" (the portal without page caches)
    path: str
    headers: dict[str, str]


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


def run_wrk(wrk: str, url: str, headers: dict[str, str], seconds: int) -> Result:
    command = [wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(WRK_SCRIPT)]
    for name, value in {"User-Agent": USER_AGENT, **headers}.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
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
    """SQL statements one render of each portal page runs (in-process, without page caches, same database,
    sessions and tokens), by path."""
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
            if target.server == "hello":
                continue
            client.get(target.path, headers={"User-Agent": USER_AGENT, **target.headers})  # warm
            statements.clear()
            response = client.get(target.path, headers={"User-Agent": USER_AGENT, **target.headers})
            counts[target.path] = len(statements) if response.status_code == 200 else -1
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
    # Coaches with their weekly hours and sessions over two years, and one administrator per provider
    # (bench/coach_week_bench.py's loader, at BENCH_SCALE of its 5,000 coaches and 2,000,000 sessions).
    os.environ.setdefault("BENCH_COACHES", str(max(25, int(5000 * SCALE))))
    os.environ.setdefault("BENCH_SESSIONS", str(max(10_000, int(2_000_000 * SCALE))))
    from bench import coach_week_bench

    marketplace_bench.VOUCHERS = vouchers_bench.VOUCHERS  # seats of providers without vouchers borrow one
    coach_week_bench.load_calendars(url, today)
    return {"holder": holder, "voucher_id": holder, "admin_email": "admin@bench.tnw.be",
            "profile_id": marketplace["profile_id"], "scale": (vouchers_bench.BENEFICIARIES,
                                                               vouchers_bench.VOUCHERS,
                                                               vouchers_bench.VOUCHERS + vouchers_bench.OPEN_REQUESTS),
            "contact_points": marketplace_bench.CONTACT_POINTS, "providers": marketplace_bench.PROVIDERS,
            "coaches": coach_week_bench.COACHES, "sessions": coach_week_bench.SESSIONS}


def seed_employer(app: Any) -> int:
    """A social secretariat's payroll clerk with EMPLOYER_DECLARATIONS declarations, imported through the API."""
    from bench import employers_bench
    from portal.clock import today_in_brussels
    from portal.db import db

    with app.app_context():
        employers_bench.add_employer(db.session, EMPLOYER_EMAIL)
        db.session.commit()
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"email": EMPLOYER_EMAIL, "password": PASSWORD}).get_json()["token"]
    # NISS far above the beneficiaries' (bench/vouchers_bench.py numbers people from 1).
    csv = employers_bench.build_csv(5_000_000, EMPLOYER_DECLARATIONS, today_in_brussels()).encode()
    answer = client.post("/api/v1/dismissals/import", data=csv,
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"})
    if answer.status_code != 201:
        raise RuntimeError(f"declarations import answered {answer.status_code}: {answer.get_data(as_text=True)[:300]}")
    return int(answer.get_json()["imported"])


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
    processes: list[subprocess.Popen[bytes]] = []
    app = None
    try:
        flush_redis()
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "SESSION_REDIS_URL", "RATELIMIT_STORAGE_URI",
                                               "RATELIMIT_ENABLED", "SECRET_KEY", "PORTAL_INSTANCE_PATH",
                                               "MAIL_BACKEND")})
        from flask_migrate import upgrade

        from portal import create_app

        # The same settings as the servers below, read from the same environment; without the page caches, so
        # that every request renders and its statements can be counted.
        app = create_app(NO_COPIES)
        with step("migrations"), app.app_context():
            upgrade()
        data = load_data(app.config["SQLALCHEMY_DATABASE_URI"])
        with step(f"an employer with {EMPLOYER_DECLARATIONS:,} declarations"):
            seed_employer(app)

        ports = {name: free_port() for name in ("portal", "raw", "hello")}
        bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        raw_env = {**env, **{name: str(value) for name, value in NO_COPIES.items()}}
        with step(f"gunicorn ({WORKERS} workers x {WORKER_THREADS} threads, gthread): portal on {ports['portal']}, "
                  f"portal without page caches on {ports['raw']}, hello on {ports['hello']}"):
            for name, spec, server_env in (("portal", "portal:create_app()", env),
                                           ("raw", "portal:create_app()", raw_env),
                                           ("hello", "bench.hello_app:app", env)):
                processes.append(start_gunicorn(spec, ports[name], server_env, instance / f"{name}.log"))
            for name, process in zip(ports, processes, strict=True):
                ready = "/" if name == "hello" else "/api/v1/providers?limit=1"
                wait_ready(process, bases[name] + ready, instance / f"{name}.log")

        beneficiary_email = f"person{data['holder']}@bench.tnw.be"
        emails = {"beneficiary": beneficiary_email, "fund": data["admin_email"], "provider": PROVIDER_ADMIN_EMAIL,
                  "employer": EMPLOYER_EMAIL}
        with step(f"log in as {', '.join(emails.values())}; bearer tokens"):
            # Both portals share the database and the Redis sessions: the same cookies and tokens work on either.
            cookie = {who: {"Cookie": browser_login(bases["portal"], email)} for who, email in emails.items()}
            token = {who: {"Authorization": f"Bearer {bearer_token(bases['portal'], email)}"}
                     for who, email in emails.items()}

        voucher = data["voucher_id"]
        pages = [  # (label, path, headers): the main pages and API calls of each group
            ("GET /providers?place=4000", "/providers?place=4000", {}),
            ("GET /api/v1/providers?region=liege", "/api/v1/providers?region=liege", {}),
            ("GET /my (beneficiary)", "/my", cookie["beneficiary"]),
            (f"GET /vouchers/{voucher} (beneficiary)", f"/vouchers/{voucher}", cookie["beneficiary"]),
            (f"GET /api/v1/vouchers/{voucher} (beneficiary)", f"/api/v1/vouchers/{voucher}", token["beneficiary"]),
            ("GET /coach/week?coach_id=1 (provider admin)", "/coach/week?coach_id=1", cookie["provider"]),
            ("GET /provider/vouchers (provider admin)", "/provider/vouchers", cookie["provider"]),
            ("GET /api/v1/provider/vouchers (provider admin)", "/api/v1/provider/vouchers", token["provider"]),
            ("GET /employer/ (payroll clerk)", "/employer/", cookie["employer"]),
            ("GET /api/v1/dismissals (payroll clerk)", "/api/v1/dismissals", token["employer"]),
            ("GET /admin/requests (fund admin)", "/admin/requests", cookie["fund"]),
            ("GET /api/v1/admin/voucher-requests?status=submitted (fund admin)",
             "/api/v1/admin/voucher-requests?status=submitted", token["fund"]),
        ]
        only = os.environ.get("BENCH_ONLY")  # measure only the pages whose label holds this text (a rerun)
        pages = [page for page in pages if not only or only in page[0]]
        judged = [Target(label, "portal", path, headers) for label, path, headers in pages]
        informative = [Target(label + " (no copies)", "raw", path, headers) for label, path, headers in pages]
        hello = Target("bare Flask hello", "hello", "/", {})
        targets = [hello, *judged, *informative]  # all answer 200 before anything is measured
        for target in targets:
            check_target(bases[target.server], target)
        queries = count_queries(app, judged)

        beneficiaries, vouchers, requests_total = data["scale"]
        print(f"\nScale {SCALE:g}: {beneficiaries:,} beneficiaries, {vouchers:,} vouchers, {requests_total:,} "
              f"requests; {data['providers']:,} providers, {data['contact_points']:,} contact points, "
              f"{data['coaches']:,} coaches, {data['sessions']:,} sessions; one employer with "
              f"{EMPLOYER_DECLARATIONS:,} declarations. "
              f"wrk: {CONNECTIONS} connections, {THREADS} threads; each judged page {ROUNDS} runs of {SECONDS} s "
              f"alternating with hello, each page without copies one run, after {WARMUP} s of warm-up.", flush=True)
        results: dict[str, Result] = {}
        # Two things make one wrk run a poor measure here: the shared machine's speed drifts from minute to
        # minute, and gunicorn's gthread workers keep each keep-alive connection in the worker that accepted it,
        # so a run whose 16 connections happen to land mostly in one of the two workers gets about half the
        # throughput (seen for hello and the pages alike). So each judged page alternates with hello,
        # BENCH_ROUNDS short runs each (new connections every time), and each is taken at its median run.
        reference: dict[str, Result] = {}

        def measure(target: Target, label: str | None = None, *, rounds: int = 1, before: Target | None = None,
                    ) -> tuple[Result, Result | None]:
            url = bases[target.server] + target.path
            if WARMUP:
                run_wrk(wrk, url, target.headers, WARMUP)
            runs, reference_runs = [], []
            for _ in range(rounds):
                if before is not None:
                    reference_runs.append(run_wrk(wrk, bases[before.server] + before.path, before.headers, SECONDS))
                runs.append(run_wrk(wrk, url, target.headers, SECONDS))
            result = median_run(runs)
            reference_result = median_run(reference_runs) if reference_runs else None
            detail = " / ".join(f"{r.rps:,.0f}" for r in runs)
            against = "" if before is None else (
                f"; hello between them {' / '.join(f'{r.rps:,.0f}' for r in reference_runs)}")
            print(f"  measured {label or target.label}: {result.rps:,.0f} req/s (runs {detail}{against}), "
                  f"p95 {result.p95:.1f} ms", flush=True)
            return result, reference_result

        if WARMUP:
            run_wrk(wrk, bases[hello.server] + hello.path, hello.headers, WARMUP)
        for target in judged:
            results[target.label], reference[target.label] = measure(target, rounds=ROUNDS, before=hello)
        for target in informative:
            results[target.label], _none = measure(target)
        results[hello.label] = max(reference.values(), key=lambda r: r.rps)
        hellos = sorted(r.rps for r in reference.values())
        print(f"\nBare Flask hello (median of its runs beside each page): {hellos[0]:,.0f} to {hellos[-1]:,.0f} "
              f"req/s. A judged page's ratio is to the hello runs beside it; the pages without copies are compared "
              f"with the best hello ({hellos[-1]:,.0f}).")
        width = max(len(t.label) for t in targets)
        header = (f"{'target':<{width}}  {'req/s':>8}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}  "
                  f"{'non-2xx/3xx':>11}  {'hello':>6}  {'ratio':>6}  {'SQL/render':>10}")

        def ratio_of(target: Target) -> tuple[float, float]:
            base = reference.get(target.label, results[hello.label]).rps
            return base, results[target.label].rps / base

        for title, group in (("Production settings (judged)", judged),
                             ("Without page caches: what one render costs (for information, not judged)",
                              informative)):
            print(f"\n{title}\n{header}\n" + "-" * len(header))
            for target in group:
                r = results[target.label]
                base, ratio = ratio_of(target)
                sql = queries.get(target.path)
                print(f"{target.label:<{width}}  {r.rps:>8,.0f}  {r.p50:>7.1f}  {r.p95:>7.1f}  {r.p99:>7.1f}  "
                      f"{r.non2xx + r.socket_errors:>11}  {base:>6,.0f}  {ratio:>6.2f}  "
                      f"{'-' if sql is None else sql:>10}")
        print()
        failures = 0
        for target in judged:
            r = results[target.label]
            _base, ratio = ratio_of(target)
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
              f"{os.cpu_count()} CPUs shared by wrk, the servers and PostgreSQL.")
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
        if os.environ.get("BENCH_KEEP") != "1":
            drop_database(DB_NAME)
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
