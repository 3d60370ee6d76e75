"""Benchmark: the fund's decision queue and the beneficiary dashboard at national scale.

500,000 beneficiaries and 100,000 vouchers (plus 60,000 open or closed requests) on
PostgreSQL. Prints the median and p95 latency of each page and API call, measured
in-process through the Flask test client, and the query plans of the key queries.

    .venv/bin/python bench/vouchers_bench.py            # full scale
    BENCH_SCALE=0.05 .venv/bin/python bench/vouchers_bench.py   # a quick look
"""

from __future__ import annotations

import os
import random
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

from bench.common import (  # noqa: E402
    copy_rows, drop_unless_kept, fast_niss, fresh_database, measure, migrated_app, step)

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
BENEFICIARIES = int(500_000 * SCALE)
VOUCHERS = int(100_000 * SCALE)
OPEN_REQUESTS = int(60_000 * SCALE)
PROVIDERS = 21
RUNS = int(os.environ.get("BENCH_RUNS", "200"))
DB_NAME = "tnw_bench_vouchers"


def load(url: str, today: date) -> dict[str, list[int]]:
    from portal.auth.passwords import hash_password

    rng = random.Random(42)
    password_hash = hash_password("bench-password")
    now = datetime.now(timezone.utc)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        with step(f"{BENEFICIARIES:,} users and beneficiaries"):
            copy_rows(conn, "users", ["id", "email", "password_hash", "role", "first_name", "last_name", "language",
                                      "active", "confirmed_at", "created_at", "session_token"],
                      ((i, f"person{i}@bench.tnw.be", password_hash, "beneficiary", f"First{i}", f"Last{i}",
                        "fr" if i % 2 else "nl", True, now, now, f"tok{i}") for i in range(1, BENEFICIARIES + 1)))
            copy_rows(conn, "beneficiaries", ["id", "user_id", "niss", "created_at"],
                      ((i, i, fast_niss(i), now) for i in range(1, BENEFICIARIES + 1)))
            admin_id = BENEFICIARIES + 1
            copy_rows(conn, "users", ["id", "email", "password_hash", "role", "language", "active", "confirmed_at",
                                      "created_at", "session_token", "first_name", "last_name"],
                      [(admin_id, "admin@bench.tnw.be", password_hash, "fund_admin", "fr", True, now, now, "tokadmin",
                        "Ada", "Admin")])
        with step("providers"):
            copy_rows(conn, "providers", ["id", "name", "enterprise_number", "quality_label", "iban", "regions",
                                          "languages", "description", "listed_at"],
                      ((i, f"Provider {i}", f"{i:010d}", "ISO 9001", "BE71096123456769", "brussels", "fr,nl", "", now)
                       for i in range(1, PROVIDERS + 1)))
        total_requests = VOUCHERS + OPEN_REQUESTS
        statuses = ["submitted"] * 6 + ["info_requested", "waitlisted", "rejected", "withdrawn"]
        request_rows = []
        voucher_rows = []
        ledger_rows = []
        with step(f"{total_requests:,} voucher requests and {VOUCHERS:,} vouchers"):
            for rid in range(1, total_requests + 1):
                beneficiary = rid  # one request per person
                submitted = today - timedelta(days=rng.randint(0, 400))
                if rid <= VOUCHERS:
                    status = "approved"
                else:
                    status = rng.choice(statuses)
                    submitted = today - timedelta(days=rng.randint(0, 60))
                route = "A" if rng.random() < 0.3 else "B"
                due = submitted + timedelta(days=45)
                request_rows.append((rid, beneficiary, rng.randint(1, PROVIDERS), status, route, 300, "coordinator",
                                     route == "A", submitted - timedelta(days=30) if route == "A" else None,
                                     None if route == "A" else submitted - timedelta(days=500), "employee",
                                     False, False, "Rue", "1", "1000", "Bruxelles", "BE", submitted, due, 0,
                                     submitted + timedelta(days=20) if status != "submitted" else None, 4, now, now,
                                     1))
                if status == "approved":
                    valid_from = submitted + timedelta(days=20)
                    state = "in_progress" if rid % 3 else ("expired" if valid_from < today - timedelta(days=200)
                                                           else "approved")
                    voucher_rows.append((rid, f"TNW-B{rid:08d}", rid, beneficiary, request_rows[-1][2], state, 180000,
                                         valid_from, valid_from + timedelta(days=182), valid_from, now, 1))
                    ledger_rows.append((valid_from, now, "committed", "voucher_committed", 180000, rid))
            copy_rows(conn, "voucher_requests", [
                "id", "beneficiary_id", "provider_id", "status", "route", "insurer_code", "initiative", "force_majeure",
                "contract_end_on", "incapacity_start_on", "benefits_scheme", "in_approved_retraining",
                "in_professional_rehabilitation", "street", "house_number", "postcode", "municipality", "country",
                "submitted_on", "decision_due_on", "paused_days", "decided_on", "draft_step", "created_at",
                "updated_at", "version"], request_rows)
            copy_rows(conn, "vouchers", ["id", "code", "request_id", "beneficiary_id", "provider_id", "status",
                                         "value_cents", "valid_from_on", "valid_until_on", "issued_on", "created_at",
                                         "version"], voucher_rows)
            copy_rows(conn, "ledger_entries", ["booked_on", "created_at", "account", "kind", "amount_cents",
                                               "voucher_id"], ledger_rows)
            usage_rows = ((v[0], "delivered", 90, 0, 22500, now) for v in voucher_rows if v[5] == "in_progress")
            copy_rows(conn, "voucher_usage", ["voucher_id", "kind", "individual_minutes", "collective_sessions",
                                              "amount_cents", "created_at"], usage_rows)
        with step("sequences and VACUUM ANALYZE"):
            for table in ("users", "beneficiaries", "providers", "voucher_requests", "vouchers"):
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")  # visibility map for index-only counts, as autovacuum would
    return {"voucher_holders": [v[3] for v in voucher_rows], "admin": [BENEFICIARIES + 1]}


def explain(url: str, today: date) -> None:
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    queries = {
        "queue, submitted, first page": (
            "SELECT * FROM voucher_requests WHERE status <> 'draft' AND status = 'submitted' "
            "ORDER BY decision_due_on, id LIMIT 51"),
        "queue, overdue": (
            f"SELECT * FROM voucher_requests WHERE status = 'submitted' AND decision_due_on < '{today}' "
            "ORDER BY decision_due_on, id LIMIT 51"),
        "dashboard, a person's vouchers": "SELECT * FROM vouchers WHERE beneficiary_id = 4242 ORDER BY id DESC",
    }
    with psycopg.connect(dsn) as conn:
        for label, sql in queries.items():
            plan = "\n".join(row[0] for row in conn.execute(f"EXPLAIN {sql}"))
            uses_index = "Index" in plan
            print(f"plan for {label}: {'uses an index' if uses_index else 'NO INDEX'}")
            print("    " + plan.replace("\n", "\n    "))


def main() -> None:

    from portal.config import normalise_database_url

    url = normalise_database_url(fresh_database(DB_NAME))
    app = migrated_app(url)
    from portal.clock import today_in_brussels

    today = today_in_brussels()
    ids = load(url, today)
    explain(url, today)

    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{ids['admin'][0]}:tokadmin"
        sess["_fresh"] = True
    token = app.test_client().post("/api/v1/auth/token", json={"email": "admin@bench.tnw.be", "password": "bench-password"})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    first = client.get("/api/v1/admin/voucher-requests?status=submitted", headers=headers).get_json()
    results = {
        "API queue, submitted, first page": lambda: client.get("/api/v1/admin/voucher-requests?status=submitted",
                                                                headers=headers),
        "API queue, next page": lambda: client.get(
            f"/api/v1/admin/voucher-requests?status=submitted&cursor={first['next_cursor']}", headers=headers),
        "API queue, overdue, route B": lambda: client.get(
            "/api/v1/admin/voucher-requests?overdue=true&route=B", headers=headers),
        "HTML queue page (with counts)": lambda: client.get("/admin/requests"),
    }
    print(f"\nScale: {BENEFICIARIES:,} beneficiaries, {VOUCHERS:,} vouchers, {VOUCHERS + OPEN_REQUESTS:,} requests")
    figures = {label: measure(label, call, RUNS) for label, call in results.items()}

    rng = random.Random(7)
    holders = ids["voucher_holders"]
    people = [client.application.test_client() for _ in range(20)]
    for index, person in enumerate(people):
        user_id = holders[rng.randrange(len(holders))]
        with person.session_transaction() as sess:
            sess["_user_id"] = f"{user_id}:tok{user_id}"
            sess["_fresh"] = True
    counter = {"i": 0}

    def dashboard():  # type: ignore[no-untyped-def]
        counter["i"] += 1
        response = people[counter["i"] % len(people)].get("/my")
        assert response.status_code == 200, response.status_code

    figures["HTML beneficiary dashboard"] = measure("HTML beneficiary dashboard", dashboard, RUNS)
    worst = max(f["p95_ms"] for f in figures.values())
    print(f"\nWorst p95: {worst:.1f} ms (target: under 100 ms) -> {'OK' if worst < 100 else 'TOO SLOW'}")
    drop_unless_kept(app, DB_NAME)


if __name__ == "__main__":
    main()
