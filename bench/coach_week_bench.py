"""Benchmark: the coach's week view on PostgreSQL at the issue's scale.

Seeds the marketplace of ``bench/marketplace_bench.py`` (550 providers, 10,000 contact points,
and here 100,000 vouchers: a year's worth), then 5,000 coaches with weekly hours (and a leave for one in ten), one
administrator per provider, 2,000,000 sessions (about 400 per coach over two years, never
overlapping: the exclusion constraint is rebuilt over them) and their seats. Then measures, in
process through the Flask test client, for random coaches and random weeks:

- the HTML week page ``/coach/week?coach_id=&day=`` as the provider's administrator (logged in
  through the real login form);
- the week's own queries alone (``calendar.sessions_between`` and the seats with their names);
- the coach's iCalendar feed (a month back, six months ahead);
- the availability API ``/api/v1/coaches/{id}/availability/intervals`` for a week;

prints the median and p95 of each against the 100 ms target, and the EXPLAIN ANALYZE plans of
every SELECT the week page runs.

    .venv/bin/python bench/coach_week_bench.py
    BENCH_SESSIONS=200000 BENCH_RUNS=50 .venv/bin/python bench/coach_week_bench.py   # a quick look
    BENCH_KEEP=1 ...                                                                 # keep the database
"""

from __future__ import annotations

import os
import random
import re
import sys
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

# A year of vouchers at the scale of DOMAIN.md (the marketplace benchmark alone needs fewer).
os.environ.setdefault("BENCH_VOUCHERS", "100000")

from bench import marketplace_bench  # noqa: E402
from bench.common import (  # noqa: E402
    copy_rows,
    drop_unless_kept,
    fresh_database,
    measure,
    migrated_app,
    step,
)

COACHES = int(os.environ.get("BENCH_COACHES", "5000"))
SESSIONS = int(os.environ.get("BENCH_SESSIONS", "2000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "200"))
DB_NAME = "tnw_bench_coach_week"
TARGET_P95_MS = 100.0
PASSWORD = "bench-password"
SPACING = timedelta(hours=44)  # between two sessions of one coach: never overlapping (at most 3.5 h each)
ZONES = ("Europe/Brussels",) * 18 + ("Europe/Amsterdam", "Europe/London")
EXCLUSION = ("ALTER TABLE coaching_sessions ADD CONSTRAINT ex_coaching_sessions_no_overlap "
             "EXCLUDE USING gist (coach_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
             "WHERE (status <> 'cancelled')")


def load_calendars(url: str, today: date) -> dict[str, Any]:
    """Coaches, their hours, provider administrators, sessions and seats (after the marketplace)."""
    from faker import Faker

    from portal.auth.passwords import hash_password

    rng = random.Random(5)
    fake = Faker(["fr_BE", "nl_BE"])
    fake.seed_instance(5)
    now = datetime.now(timezone.utc)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    providers = marketplace_bench.PROVIDERS
    with psycopg.connect(dsn) as conn:
        vouchers_of: dict[int, list[int]] = {}
        for voucher_id, provider_id in conn.execute("SELECT id, provider_id FROM vouchers"):
            vouchers_of.setdefault(provider_id, []).append(voucher_id)
        first_user = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM users").fetchone()[0]
    with step(f"{providers} provider administrators, {COACHES:,} coaches with weekly hours"), \
            psycopg.connect(dsn) as conn:
        password_hash = hash_password(PASSWORD)
        admins = [(first_user + p - 1, f"admin{p}@bench.tnw.be", password_hash, "provider_admin", fake.first_name(),
                   fake.last_name(), "fr", True, now, now, f"admin-tok{p}", p) for p in range(1, providers + 1)]
        copy_rows(conn, "users", ["id", "email", "password_hash", "role", "first_name", "last_name", "language",
                                  "active", "confirmed_at", "created_at", "session_token", "provider_id"], admins)
        coach_rows, hours_rows, leave_rows = [], [], []
        for c in range(1, COACHES + 1):
            coach_rows.append((c, 1 + (c - 1) % providers, fake.name(), f"coach{c}@bench.tnw.be", rng.choice(ZONES),
                               f"bench-calendar-{c:06d}", True, now))
            for weekday in range(5):
                hours_rows.append((c, weekday, time(9), time(12)))
                hours_rows.append((c, weekday, time(13), time(17)))
            if c % 10 == 0:
                first = today + timedelta(days=rng.randint(1, 120))
                leave_rows.append((c, first, first + timedelta(days=6), False, "Congé"))
        copy_rows(conn, "coaches", ["id", "provider_id", "display_name", "email", "timezone", "calendar_token",
                                    "active", "created_at"], coach_rows)
        copy_rows(conn, "coach_availability", ["coach_id", "weekday", "start_time", "end_time"], hours_rows)
        copy_rows(conn, "coach_availability_exceptions", ["coach_id", "on_date", "until_on", "available", "reason"],
                  leave_rows)
        # Open vouchers with a mix, valid now: the week page offers them for booking.
        conn.execute("""UPDATE vouchers SET individual_hours = 9, collective_sessions = 3,
                        individual_unit_cents = 15000, collective_unit_cents = 15000,
                        valid_from_on = %s, valid_until_on = %s WHERE status IN ('approved', 'in_progress')""",
                     (today - timedelta(days=90), today + timedelta(days=90)))
        conn.commit()
    per_coach = max(1, SESSIONS // COACHES)
    origin = datetime.combine(today, time(7, 0), tzinfo=timezone.utc) - per_coach * SPACING * 3 // 4
    with step(f"{per_coach * COACHES:,} sessions ({per_coach} per coach from {origin:%Y-%m-%d}) and their seats"), \
            psycopg.connect(dsn) as conn:
        conn.execute("ALTER TABLE coaching_sessions DROP CONSTRAINT ex_coaching_sessions_no_overlap")
        session_rows: list[tuple[Any, ...]] = []
        seat_rows: list[tuple[Any, ...]] = []
        session_id = 0

        def flush() -> None:
            copy_rows(conn, "coaching_sessions", [
                "id", "provider_id", "coach_id", "kind", "mode", "starts_at", "ends_at", "duration_minutes",
                "capacity", "location", "theme", "status", "logged_minutes", "logged_at", "created_at"], session_rows)
            copy_rows(conn, "session_seats", ["session_id", "voucher_id", "attendance", "cost_cents", "confirmation",
                                              "confirm_by_on", "confirmed_by_silence"], seat_rows)
            session_rows.clear()
            seat_rows.clear()

        for c in range(1, COACHES + 1):
            provider_id = 1 + (c - 1) % providers
            pool = vouchers_of.get(provider_id) or [rng.randint(1, marketplace_bench.VOUCHERS)]
            shift = timedelta(minutes=15 * rng.randint(0, 40))
            for k in range(per_coach):
                session_id += 1
                starts = origin + k * SPACING + shift
                collective = k % 5 == 4
                minutes = 210 if collective else rng.choice((60, 75, 90, 105, 120))
                ends = starts + timedelta(minutes=minutes)
                past = ends < now
                status = "cancelled" if rng.random() < 0.03 else ("logged" if past else "scheduled")
                online = rng.random() < 0.3
                session_rows.append((
                    session_id, provider_id, c, "collective" if collective else "individual",
                    "online" if online else "onsite", starts, ends, minutes, 8 if collective else 1,
                    "https://meet.example.be/r" if online else "Rue de la Loi 16, 1000 Bruxelles",
                    "Recherche d'emploi" if collective else "", status, minutes if status == "logged" else None,
                    ends if status == "logged" else None, starts - timedelta(days=7)))
                people = rng.sample(pool, min(len(pool), 3)) if collective else [rng.choice(pool)]
                for voucher_id in people:
                    logged = status == "logged"
                    seat_rows.append((session_id, voucher_id, "attended" if logged else None,
                                      15000 if collective else 15000 * minutes // 60,
                                      "confirmed" if logged and ends < now - timedelta(days=14) else "pending",
                                      (ends + timedelta(days=7)).date() if logged else None, False))
            if len(session_rows) >= 100_000:
                flush()
        flush()
        conn.commit()
    with step("the exclusion constraint (no double booking) over every session"), \
            psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute(EXCLUSION)
    with step("sequences and ANALYZE"), psycopg.connect(dsn, autocommit=True) as conn:
        for table in ("users", "coaches", "coaching_sessions", "session_seats", "coach_availability",
                      "coach_availability_exceptions"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.execute("ANALYZE")
        sessions = conn.execute("SELECT count(*) FROM coaching_sessions").fetchone()[0]
        seats = conn.execute("SELECT count(*) FROM session_seats").fetchone()[0]
    print(f"  {sessions:,} sessions, {seats:,} seats")
    return {"first_admin_id": first_user, "per_coach": per_coach, "origin": origin}


def login(client: Any, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, (email, answer.status_code)


def main() -> None:

    from portal.clock import today_in_brussels
    from portal.config import normalise_database_url

    url = normalise_database_url(fresh_database(DB_NAME))
    app = migrated_app(url)
    today = today_in_brussels()
    marketplace_bench.load(url, today)
    seeded = load_calendars(url, today)

    rng = random.Random(11)
    providers = marketplace_bench.PROVIDERS
    sampled = rng.sample(range(1, min(providers, COACHES) + 1), min(25, providers, COACHES))
    clients = {}
    for provider_id in sampled:
        client = app.test_client()
        login(client, f"admin{provider_id}@bench.tnw.be")
        clients[provider_id] = client
    coaches_of = {p: [c for c in range(p, COACHES + 1, providers)] for p in sampled}
    span_days = (seeded["per_coach"] * SPACING).days
    first_day = seeded["origin"].date()

    def pick() -> tuple[Any, int, date]:
        provider_id = rng.choice(sampled)
        coach_id = rng.choice(coaches_of[provider_id])
        return clients[provider_id], coach_id, first_day + timedelta(days=rng.randint(0, span_days))

    # Every target answers 200 with its sessions before it is measured.
    client, coach_id, day = pick()
    page = client.get(f"/coach/week?coach_id={coach_id}&day={day.isoformat()}")
    assert page.status_code == 200 and 'id="day-' in page.get_data(as_text=True), page.status_code
    busy_day = (seeded["origin"] + SPACING * 10).date()
    busy = clients[sampled[0]].get(f"/coach/week?coach_id={coaches_of[sampled[0]][0]}&day={busy_day}")
    assert "week__item" in busy.get_data(as_text=True), "the week page shows no session: the seeding is off"

    marketplace_bench.explain_request(app, clients[sampled[0]], "the coach's week page",
                                      f"/coach/week?coach_id={coaches_of[sampled[0]][0]}&day={busy_day}")

    from coaching.calendar.ical import sessions_between, week_bounds
    from coaching.calendar.views.coach import _seat_rows
    from coaching.providers.models import Coach
    from portal.db import db

    def week_queries() -> None:
        _client, coach_id, day = pick()
        with app.test_request_context():
            coach = db.session.get(Coach, coach_id)
            start, end = week_bounds(day, coach.timezone)
            found = sessions_between(db.session, coach.id, start, end)
            _seat_rows([s.id for s in found])
            db.session.remove()

    def week_page() -> None:
        client, coach_id, day = pick()
        assert client.get(f"/coach/week?coach_id={coach_id}&day={day.isoformat()}").status_code == 200

    def ical() -> None:
        _client, coach_id, _day = pick()
        token = f"bench-calendar-{coach_id:06d}"
        assert clients[sampled[0]].get(f"/api/v1/coaches/{coach_id}/calendar.ics?token={token}").status_code == 200

    def intervals() -> None:
        client, coach_id, day = pick()
        monday = day - timedelta(days=day.weekday())
        answer = client.get(f"/api/v1/coaches/{coach_id}/availability/intervals?from_on={monday}"
                            f"&to_on={monday + timedelta(days=6)}")
        assert answer.status_code == 200, answer.get_data(as_text=True)[:200]

    print(f"\nScale: {COACHES:,} coaches, {seeded['per_coach'] * COACHES:,} sessions, "
          f"{marketplace_bench.CONTACT_POINTS:,} contact points; {RUNS} runs, random coach and week each")
    figures = {
        "HTML week page (provider admin, any coach, any week)": measure("HTML week page", week_page, RUNS),
        "week queries alone (sessions + seats with names)": measure("week queries alone", week_queries, RUNS),
        "iCalendar feed (-1 month .. +6 months)": measure("iCalendar feed", ical, RUNS),
        "API availability intervals for a week": measure("API availability intervals", intervals, RUNS),
    }
    worst_label, worst = max(((k, v["p95_ms"]) for k, v in figures.items()), key=lambda kv: kv[1])
    week = figures["HTML week page (provider admin, any coach, any week)"]["p95_ms"]
    print(f"\nWeek page p95: {week:.1f} ms; target under {TARGET_P95_MS:.0f} ms -> "
          f"{'OK' if week < TARGET_P95_MS else 'TOO SLOW'}. Worst p95: {worst:.1f} ms ({worst_label}).")
    drop_unless_kept(app, DB_NAME)


if __name__ == "__main__":
    main()
