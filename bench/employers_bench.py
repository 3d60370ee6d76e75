"""Benchmark: a social secretariat declares 10,000 dismissals from one CSV file, on PostgreSQL.

Every line is validated first (one pass), then everything is inserted in a few batched
statements, in one transaction, through the real API endpoint (bearer token, Flask test
client): a file of more than 500 lines is answered at once (202) and read by a background job, run
here synchronously through the function the scheduler process calls. A second file with one bad
line must import nothing. Prints the elapsed seconds (the upload, then to the end of the job); the
target is under 30 s.

    .venv/bin/python bench/employers_bench.py
    BENCH_LINES=2000 .venv/bin/python bench/employers_bench.py    # a quick look
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_unless_kept, fast_niss, fresh_database, migrated_app, step

LINES = int(os.environ.get("BENCH_LINES", "10000"))
DB_NAME = "tnw_bench_employers"
TARGET_SECONDS = 30.0
HEADER = "worker_first_name;worker_last_name;worker_niss;contract_end_on;physician_decision_on"


def build_csv(start: int, count: int, today, *, bad_line: int | None = None) -> str:
    from faker import Faker

    fake = Faker(["fr_BE", "nl_BE"])
    fake.seed_instance(start)
    rng = random.Random(start)
    lines = [HEADER]
    for i in range(start, start + count):
        end = today - timedelta(days=rng.randint(0, 40))
        decision = end - timedelta(days=rng.randint(21, 90)) if rng.random() < 0.7 else None
        niss = fast_niss(i)
        if bad_line is not None and len(lines) + 1 == bad_line:
            niss = niss[:-2] + f"{(int(niss[-2:]) + 1) % 100:02d}"  # wrong check digits
        lines.append(f"{fake.first_name()};{fake.last_name()};{niss};{end.isoformat()};"
                     f"{decision.isoformat() if decision else ''}")
    return "\r\n".join(lines) + "\r\n"


def add_employer(session: Any, email: str = "payroll@bench.tnw.be") -> None:
    """One employer (a social secretariat) and its payroll clerk, who logs in with bench-password."""
    from portal.auth.services import create_user
    from portal.clock import utcnow
    from portal.demo.numbers import enterprise_number
    from portal.permissions import Role
    from vouchers.employers.models import Employer

    employer = Employer(company_name="Secrétariat Social Bench ASBL", enterprise_number=enterprise_number(4242),
                        onss_number="1234567890", address="Rue de la Loi 1\n1000 Bruxelles",
                        email=email, phone="+32 2 000 00 00", iban="BE71096123456769")
    session.add(employer)
    session.flush()
    create_user(session, email=email, password="bench-password", role=Role.EMPLOYER,
                first_name="Paula", last_name="Payroll", employer_id=employer.id, confirmed_at=utcnow())


def main() -> None:
    from sqlalchemy import func, select

    from portal.clock import today_in_brussels
    from portal.config import normalise_database_url
    from portal.db import db

    url = normalise_database_url(fresh_database(DB_NAME))
    app = migrated_app(url, {"ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    with app.app_context():
        add_employer(db.session)
        db.session.commit()
    today = today_in_brussels()
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"email": "payroll@bench.tnw.be", "password": "bench-password"})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}", "Content-Type": "text/csv"}

    with step(f"building a CSV of {LINES:,} declarations"):
        good = build_csv(1, LINES, today).encode()
        bad = build_csv(LINES + 1, LINES, today, bad_line=LINES // 2).encode()

    def imported_in_the_background(data: bytes) -> tuple[dict[str, Any], float, float]:
        """The import's outcome, the upload request's seconds, and the seconds to the end of its job."""
        from portal import background

        start = time.perf_counter()
        response = client.post("/api/v1/dismissals/import", data=data, headers=headers)
        answered = time.perf_counter() - start
        assert response.status_code == 202, response.get_data(as_text=True)[:500]
        background.bind(app)
        background.run_task("declaration_import", import_id=response.get_json()["id"])
        elapsed = time.perf_counter() - start
        outcome = client.get(f"/api/v1/dismissals/imports/{response.get_json()['id']}", headers=headers).get_json()
        return outcome, answered, elapsed

    done, answered, elapsed = imported_in_the_background(good)
    assert done["status"] == "imported", done
    imported = done["imported"]
    refused, refused_answered, refused_elapsed = imported_in_the_background(bad)
    assert refused["status"] == "failed"
    lines_reported = sorted({line["line"] for line in refused["errors"]})

    with app.app_context():
        from vouchers.employers.models import Contribution, Declaration

        declarations = db.session.scalar(select(func.count()).select_from(Declaration))
        contributions = db.session.scalar(select(func.count()).select_from(Contribution))
        references = db.session.scalar(select(func.count(func.distinct(Contribution.structured_reference))))
    print(f"\nImported {imported:,} declarations (database: {declarations:,} declarations, {contributions:,} "
          f"contributions, {references:,} distinct structured references)")
    print(f"Import of {LINES:,} lines: {elapsed:.2f} s ({LINES / elapsed:,.0f} lines/s); the upload answered in "
          f"{answered:.2f} s, the second one in {refused_answered:.2f} s")
    print(f"A file of {LINES:,} lines with one bad line: refused in {refused_elapsed:.2f} s, lines reported "
          f"{lines_reported}, nothing imported: {declarations == imported}")
    print(f"Target: under {TARGET_SECONDS:.0f} s -> {'OK' if elapsed < TARGET_SECONDS else 'TOO SLOW'}")
    drop_unless_kept(app, DB_NAME)


if __name__ == "__main__":
    main()
