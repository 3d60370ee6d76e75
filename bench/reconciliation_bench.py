"""Benchmark: the reconciliation of a period over a year of data, on PostgreSQL.

Seeds a year (the 365 days before today) the size DOMAIN.md designs for: 50,000 employer
declarations and their contributions (paid, partly paid, overpaid, refunded, unpaid), 100,000
vouchers, about 470,000 provider claims, a bank statement a day with its lines (matched and
unmatched), and 2,000,000 ledger entries consistent with all of it. Loading uses COPY with the
foreign-key triggers off (about a minute on a 2-core machine); a database already seeded at this
scale, for this year, is reused.

Then it times ``GET /api/v1/admin/reconciliation`` (through the Flask test client, with a bearer
token, so the whole request counts) and the service call behind it, for the last full month and
for the whole year, several times each, and prints p50/p95/max in ms against the target of
under 1,000 ms, with the figures of each period.

    .venv/bin/python bench/reconciliation_bench.py
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/other .venv/bin/python bench/reconciliation_bench.py
    BENCH_RESEED=1 .venv/bin/python bench/reconciliation_bench.py     # a new database, seeded again
    BENCH_SCALE=0.05 BENCH_RUNS=5 .venv/bin/python bench/reconciliation_bench.py   # a quick look
    BENCH_EXPLAIN=1 ...                                                 # and the plans of the queries

The database (default ``tnw_bench_recon`` on 127.0.0.1) is created if missing and upgraded to the
latest migration; it is kept afterwards so a second run starts timing at once.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

from bench.common import copy_rows, fast_niss, migrated_app, percentile, step  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tnw_bench_recon"
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
CONTRIBUTIONS = int(50_000 * SCALE)
VOUCHERS = int(100_000 * SCALE)
LEDGER_ENTRIES = int(2_000_000 * SCALE)
EMPLOYERS = max(10, int(5_000 * SCALE))
PROVIDERS = 21
UNMATCHED_LINES_PER_DAY = 3
RUNS = int(os.environ.get("BENCH_RUNS", "10"))
TARGET_MS = 1000.0
VOUCHER_CENTS = 180_000
CLAIM_AMOUNTS = (15_000, 22_500, 30_000, 37_500)
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@bench.tnw.be", "bench-password"
SEEDED_TABLES = ("bank_lines", "bank_statements", "contribution_payments", "contributions", "dismissal_declarations",
                 "ledger_entries", "claims", "vouchers", "voucher_requests", "beneficiaries", "employers", "providers",
                 "api_tokens", "audit_log", "users")


def database_url() -> str:
    from portal.config import normalise_database_url

    return normalise_database_url(os.environ.get("DATABASE_URL") or DEFAULT_URL)


def plain_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def ensure_database(url: str, *, fresh: bool = False) -> None:
    """Create the database if it does not exist yet; with ``fresh``, drop it first (BENCH_RESEED=1)."""
    server, name = plain_dsn(url).rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def year_of(today: date) -> tuple[date, date]:
    """The 365 days before today: every figure of the year lies in the past."""
    return today - timedelta(days=365), today - timedelta(days=1)


def last_full_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


# --- seeding -----------------------------------------------------------------------------------


class Ledger:
    """Ledger rows as COPY wants them, with a running count."""

    columns = ["booked_on", "created_at", "account", "kind", "amount_cents", "voucher_id", "contribution_id",
               "claim_id", "memo"]

    def __init__(self, now: datetime) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.now = now

    def post(self, on: date, account: str, kind: str, cents: int, *, voucher: int | None = None,
             contribution: int | None = None, claim: int | None = None) -> None:
        self.rows.append((on, self.now, account, kind, cents, voucher, contribution, claim, None))


def seed(url: str, today: date) -> None:
    from portal.auth.passwords import hash_password
    from vouchers.employers.domain import reference_for

    rng = random.Random(2026)
    start, end = year_of(today)
    days = (end - start).days + 1
    now = datetime.now(timezone.utc)
    ledger = Ledger(now)
    with psycopg.connect(plain_dsn(url)) as conn:
        with step("emptying the seeded tables"):
            # Foreign keys are not checked row by row while loading: the rows below are consistent by construction.
            # The replica role also lifts the ledger's refusal of TRUNCATE, in this bench's own database.
            conn.execute("SET session_replication_role = replica")
            conn.execute(f"TRUNCATE {', '.join(SEEDED_TABLES)} RESTART IDENTITY CASCADE")

        with step(f"{VOUCHERS:,} beneficiaries with their requests and vouchers, {PROVIDERS} providers"):
            password = hash_password(ADMIN_PASSWORD)
            users = [(1, ADMIN_EMAIL, password, "fund_admin", "Ada", "Admin", "fr", True, now, now, "tok-admin"),
                     (2, "payroll@bench.tnw.be", password, "employer", "Paula", "Payroll", "fr", True, now, now,
                      "tok-payroll")]
            copy_rows(conn, "users", ["id", "email", "password_hash", "role", "first_name", "last_name", "language",
                                      "active", "confirmed_at", "created_at", "session_token"],
                      users + [(i + 2, f"person{i}@bench.tnw.be", password, "beneficiary", f"First{i}", f"Last{i}",
                                "fr" if i % 2 else "nl", True, now, now, f"tok{i}") for i in range(1, VOUCHERS + 1)])
            copy_rows(conn, "beneficiaries", ["id", "user_id", "niss", "created_at"],
                      ((i, i + 2, fast_niss(i), now) for i in range(1, VOUCHERS + 1)))
            copy_rows(conn, "providers", ["id", "name", "enterprise_number", "quality_label", "iban", "regions",
                                          "languages", "description", "listed_at"],
                      ((i, f"Provider {i}", f"{i:010d}", "ISO 9001", "BE71096123456769", "brussels", "fr,nl", "", now)
                       for i in range(1, PROVIDERS + 1)))
            requests, vouchers, voucher_info = [], [], []
            for i in range(1, VOUCHERS + 1):
                issued = start + timedelta(days=rng.randrange(days))
                submitted = issued - timedelta(days=rng.randint(5, 44))
                provider = rng.randint(1, PROVIDERS)
                requests.append((i, i, provider, "approved", "A" if i % 3 else "B", 100, "coordinator", True,
                                 False, False, "Rue", "1", "1000", "Bruxelles", "BE", submitted,
                                 submitted + timedelta(days=45), 0, issued, 4, now, now, 1))
                until = issued + timedelta(days=182)
                status = "expired" if until < end and rng.random() < 0.4 else rng.choice(
                    ["in_progress"] * 6 + ["approved", "completed"])
                vouchers.append((i, f"TNW-B{i:08d}", i, i, provider, status, VOUCHER_CENTS, issued, until, issued,
                                 now, 1))
                voucher_info.append((i, provider, issued, until, status))
                ledger.post(issued, "committed", "voucher_committed", VOUCHER_CENTS, voucher=i)
            copy_rows(conn, "voucher_requests", [
                "id", "beneficiary_id", "provider_id", "status", "route", "insurer_code", "initiative",
                "force_majeure", "in_approved_retraining", "in_professional_rehabilitation", "street", "house_number",
                "postcode", "municipality", "country", "submitted_on", "decision_due_on", "paused_days", "decided_on",
                "draft_step", "created_at", "updated_at", "version"], requests)
            copy_rows(conn, "vouchers", ["id", "code", "request_id", "beneficiary_id", "provider_id", "status",
                                         "value_cents", "valid_from_on", "valid_until_on", "issued_on", "created_at",
                                         "version"], vouchers)
            del requests, vouchers

        with step(f"{CONTRIBUTIONS:,} declarations, contributions and their payments; a statement a day"):
            copy_rows(conn, "employers", ["id", "company_name", "enterprise_number", "onss_number", "address", "email",
                                          "phone", "iban", "created_at"],
                      ((i, f"Employer {i} SA", f"{1_000_000 + i:010d}", "1234567890", "Rue 1\n1000 Bruxelles",
                        f"hr{i}@bench.tnw.be", "+32 2 000 00 00", "BE71096123456769", now)
                       for i in range(1, EMPLOYERS + 1)))
            statements = [(d + 1, "BE71096123456769", f"STMT-{start + timedelta(days=d)}", str(d + 1), "02",
                           f"{d:064x}", start + timedelta(days=d), start + timedelta(days=d), now)
                          for d in range(days)]
            copy_rows(conn, "bank_statements", ["id", "account", "statement_ref", "sequence", "version", "file_sha256",
                                                "from_on", "to_on", "imported_at"], statements)
            declarations, contributions, payments, lines = [], [], [], []
            line_id = 0

            def bank_line(on: date, cents: int, status: str, contribution: int | None) -> int:
                nonlocal line_id
                line_id += 1
                lines.append((line_id, (on - start).days + 1, line_id, 1, f"bench-{line_id}", "credit", cents, "EUR",
                              on, status, contribution, "reference" if contribution else None, now))
                return line_id

            def pay(contribution: int, cents: int, on: date, serial: int) -> None:
                on = min(on, end)
                if cents > 0 and rng.random() < 0.6:
                    source, external = "bank", f"bank-line-{bank_line(on, cents, 'matched', contribution)}"
                else:
                    source, external = "stripe", f"pi_bench_{contribution}_{serial}"
                payments.append((contribution, source, cents, external, on, now))
                ledger.post(on, "cash", "contribution_paid" if cents > 0 else "contribution_refunded", cents,
                            contribution=contribution)

            for i in range(1, CONTRIBUTIONS + 1):
                due = start + timedelta(days=rng.randrange(days))
                contract_end = due - timedelta(days=45)
                declared = contract_end + timedelta(days=rng.randint(1, 40))
                declarations.append((i, rng.randint(1, EMPLOYERS), 2, "Ana", f"Worker{i}", fast_niss(500_000 + i),
                                     contract_end, declared, contract_end + timedelta(days=45), "declared", now))
                paid_on = due - timedelta(days=rng.randint(-20, 40))
                draw = rng.random()
                if paid_on > end or draw < 0.05:
                    status = "due"
                elif draw < 0.08:
                    status = "partially_paid"
                    pay(i, 50_000, paid_on, 1)
                elif draw < 0.10:
                    status = "overpaid"
                    pay(i, VOUCHER_CENTS, paid_on, 1)
                    pay(i, 20_000, paid_on + timedelta(days=3), 2)
                elif draw < 0.11:
                    status = "refunded"
                    pay(i, VOUCHER_CENTS, paid_on, 1)
                    pay(i, -VOUCHER_CENTS, paid_on + timedelta(days=10), 2)
                else:
                    status = "paid"
                    pay(i, VOUCHER_CENTS, paid_on, 1)
                contributions.append((i, i, VOUCHER_CENTS, due, reference_for(i), status, 0, now, now))
            for d in range(days):  # money nobody has matched yet
                for _ in range(UNMATCHED_LINES_PER_DAY):
                    bank_line(start + timedelta(days=d), rng.choice((5_000, 90_000, 180_000, 12_345)), "unmatched",
                              None)
            copy_rows(conn, "dismissal_declarations", [
                "id", "employer_id", "declared_by_id", "worker_first_name", "worker_last_name", "worker_niss",
                "contract_end_on", "declared_on", "declaration_due_on", "status", "created_at"], declarations)
            copy_rows(conn, "contributions", ["id", "declaration_id", "amount_cents", "due_on", "structured_reference",
                                              "status", "payment_attempt", "created_at", "updated_at"], contributions)
            copy_rows(conn, "contribution_payments", ["contribution_id", "source", "amount_cents", "external_id",
                                                      "booked_on", "created_at"], payments)
            copy_rows(conn, "bank_lines", ["id", "statement_id", "entry_index", "tx_index", "line_key", "direction",
                                           "amount_cents", "currency", "booked_on", "status", "contribution_id",
                                           "match_method", "created_at"], lines)
            del declarations, contributions

        with step("funding and provider claims, up to the ledger's size"):
            month = start.replace(day=1)
            while month <= end:
                ledger.post(max(month, start), "cash", "funding", 2_500_000_000)
                month = (month + timedelta(days=32)).replace(day=1)
            claims = claims_until_full(ledger, voucher_info, rng, end=end)
            copy_rows(conn, "claims", ["id", "provider_id", "voucher_id", "amount_cents", "status", "submitted_at",
                                       "decided_at", "paid_on", "version"], claims)
            del claims

        with step(f"{len(ledger.rows):,} ledger entries"):
            rng.shuffle(ledger.rows)  # booked in the order life happens, not table by table
            ledger.rows.sort(key=lambda row: row[0])
            copy_rows(conn, "ledger_entries", Ledger.columns, ledger.rows)

        with step("sequences, VACUUM ANALYZE"):
            conn.execute("SET session_replication_role = origin")
            for table in ("users", "beneficiaries", "providers", "voucher_requests", "vouchers", "employers",
                          "dismissal_declarations", "contributions", "contribution_payments", "claims",
                          "ledger_entries", "bank_statements", "bank_lines"):
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT coalesce(max(id), 1) FROM {table}))")
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")


def claims_until_full(ledger: Ledger, voucher_info: list[tuple[int, int, date, date, str]], rng: random.Random, *,
                      end: date) -> list[tuple[Any, ...]]:
    """Provider claims, a few days apart on each voucher and never beyond its value, until the ledger
    holds ``LEDGER_ENTRIES`` entries (an approved claim books 2, a paid one 2 more), the release of
    what the expired vouchers left unused included."""
    remaining = {voucher: VOUCHER_CENTS for voucher, *_ in voucher_info}
    last_day = {voucher: issued for voucher, _provider, issued, _until, _status in voucher_info}
    expired = [(voucher, until) for voucher, _provider, _issued, until, status in voucher_info
               if status == "expired" and until <= end]
    claims: list[tuple[Any, ...]] = []

    def add_claims(pool: list[tuple[int, int, date]], room: int) -> None:
        while pool and len(ledger.rows) < room:
            still_open = []
            for voucher, provider, last_possible in pool:
                if len(ledger.rows) >= room:
                    break
                day = last_day[voucher] + timedelta(days=rng.randint(3, 12))
                amount = min(rng.choice(CLAIM_AMOUNTS), remaining[voucher])
                if amount == 0 or day > last_possible:
                    continue  # this voucher is done
                claim_id = len(claims) + 1
                paid_on = day + timedelta(days=rng.randint(5, 20))
                paid = paid_on <= end and rng.random() < 0.97
                submitted = datetime.combine(day, clock_time(10), tzinfo=timezone.utc)
                claims.append((claim_id, provider, voucher, amount, "paid" if paid else "approved", submitted,
                               submitted, paid_on if paid else None, 1))
                ledger.post(day, "committed", "claim_approved", -amount, voucher=voucher, claim=claim_id)
                ledger.post(day, "payable", "claim_approved", amount, voucher=voucher, claim=claim_id)
                if paid:
                    ledger.post(paid_on, "cash", "claim_paid", -amount, voucher=voucher, claim=claim_id)
                    ledger.post(paid_on, "payable", "claim_paid", -amount, voucher=voucher, claim=claim_id)
                remaining[voucher] -= amount
                last_day[voucher] = day
                still_open.append((voucher, provider, last_possible))
            pool = still_open

    add_claims([(voucher, provider, min(until, end)) for voucher, provider, _issued, until, status in voucher_info
                if status != "approved"], LEDGER_ENTRIES - len(expired))
    for voucher, until in expired:
        if remaining[voucher]:
            ledger.post(until, "committed", "voucher_released", -remaining[voucher], voucher=voucher)
    # Expired vouchers used to the cent release nothing: fill their room on the vouchers still open.
    add_claims([(voucher, provider, end) for voucher, provider, _issued, until, status in voucher_info
                if status in ("in_progress", "completed") and until > end], LEDGER_ENTRIES)
    return claims

def seeded(url: str) -> bool:
    from portal.clock import today_in_brussels

    with psycopg.connect(plain_dsn(url)) as conn:
        entries = conn.execute("SELECT count(*) FROM ledger_entries").fetchone()[0]
        contributions = conn.execute("SELECT count(*) FROM contributions").fetchone()[0]
        newest = conn.execute("SELECT max(booked_on) FROM ledger_entries").fetchone()[0]
    fresh = newest is not None and newest >= today_in_brussels() - timedelta(days=3)
    return entries >= LEDGER_ENTRIES * 0.98 and contributions >= CONTRIBUTIONS and fresh


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(plain_dsn(url)) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("contributions", "vouchers", "claims", "ledger_entries", "bank_lines")}


# --- timing ------------------------------------------------------------------------------------


def timed(call: Callable[[], Any], runs: int) -> dict[str, float]:
    call()  # warm-up: connections, caches
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return {"p50": statistics.median(times), "p95": percentile(times, 95), "max": max(times)}


def explain(url: str, period: tuple[date, date]) -> Iterator[str]:
    """The plans of the queries the reconciliation runs (captured from SQLAlchemy's own SQL)."""
    from sqlalchemy import event

    from portal import create_app
    from portal.auth.models import User
    from portal.clock import today_in_brussels
    from portal.db import db
    from vouchers.ledger import domain
    from vouchers.ledger.services import reconciliation

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    statements: list[tuple[str, Any]] = []
    with app.app_context():
        def capture(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
            statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", capture)
        admin = db.session.get(User, 1)
        reconciliation.reconcile(db.session, admin, domain.Period(*period), today=today_in_brussels())
        event.remove(db.engine, "before_cursor_execute", capture)
        with psycopg.connect(plain_dsn(url)) as conn:
            for statement, parameters in statements:
                if not statement.lstrip().upper().startswith("SELECT") or "FROM users" in statement:
                    continue
                plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).fetchall()
                yield statement.split("\n")[0][:100] + "\n    " + "\n    ".join(row[0] for row in plan)
        db.engine.dispose()


def main() -> None:
    from portal.auth.models import User
    from portal.clock import today_in_brussels
    from portal.db import db
    from vouchers.ledger import domain
    from vouchers.ledger.services import reconciliation

    url = database_url()
    reseed = os.environ.get("BENCH_RESEED") == "1"
    ensure_database(url, fresh=reseed)
    app = migrated_app(url)
    today = today_in_brussels()
    if reseed or not seeded(url):
        started = time.perf_counter()
        seed(url, today)
        print(f"seeded in {time.perf_counter() - started:.0f} s")
    else:
        print("reusing the seeded data (BENCH_RESEED=1 to seed again)")
    sizes = counts(url)
    print("rows: " + ", ".join(f"{table} {number:,}" for table, number in sizes.items()))

    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert token.status_code == 201, token.get_json()
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    periods = {"month": last_full_month(today), "year": year_of(today)}
    results = {}
    for label, (from_on, to_on) in periods.items():
        path = f"/api/v1/admin/reconciliation?from_on={from_on}&to_on={to_on}"

        def api_call(path: str = path) -> dict[str, Any]:
            response = client.get(path, headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)[:500]
            return response.get_json()

        def service_call(from_on: date = from_on, to_on: date = to_on) -> Any:
            with app.app_context():
                admin = db.session.get(User, 1)
                return reconciliation.reconcile(db.session, admin, domain.Period(from_on, to_on), today=today)

        figures = api_call()
        print(f"\n{label}: {from_on} to {to_on}")
        print(json.dumps({k: v for k, v in figures.items() if k not in ("from_on", "to_on")}, indent=1))
        results[label] = {"api": timed(api_call, RUNS), "service": timed(service_call, RUNS)}
        for kind, figure in results[label].items():
            print(f"  {kind:<8} p50 {figure['p50']:7.1f} ms   p95 {figure['p95']:7.1f} ms   max {figure['max']:7.1f} ms"
                  f"   ({RUNS} runs)")
    if os.environ.get("BENCH_EXPLAIN") == "1":
        for plan in explain(url, periods["year"]):
            print("\n" + plan)
    print(f"\nScale: {sizes['contributions']:,} contributions, {sizes['vouchers']:,} vouchers, "
          f"{sizes['ledger_entries']:,} ledger entries, {sizes['claims']:,} claims, {sizes['bank_lines']:,} bank lines")
    for label, timing in results.items():
        worst = timing["api"]["p95"]
        print(f"Reconciliation of the {label} through the API: p95 {worst:.0f} ms, max {timing['api']['max']:.0f} ms "
              f"(target < {TARGET_MS:.0f} ms) -> {'OK' if worst < TARGET_MS else 'NOT MET'}")
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
