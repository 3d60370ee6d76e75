"""The world of ``tests.support.realistic_statements`` written to the database: each employer with one user of its own
(told of every payment) and its declarations, made through ``declare_many`` (the employers' service), so that each
contribution gets its amount, due day and structured reference as in real life."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.services import create_user
from portal.demo.numbers import national_number
from portal.permissions import Role
from tests.support.realistic_statements import EmployerSpec, Owed

#: Employers' users never sign in here: an unusable hash spares the password hashing.
NO_PASSWORD = "!unusable"


def build_world(session: Session, employers: list[EmployerSpec], *, today: date, now: datetime) -> list[Owed]:
    from vouchers.employers.models import Contribution, Declaration, Employer
    from vouchers.employers.services.declarations import CleanDeclaration, declare_many

    owed: list[Owed] = []
    serial = 0
    for spec in employers:
        employer = Employer(company_name=spec.name, enterprise_number=spec.enterprise_number, onss_number="123456789",
                            address="Rue de la Loi 1\n1000 Bruxelles", email=f"hr{spec.key}@realistic.example.be",
                            phone="+32 2 000 00 00", iban=spec.iban)
        session.add(employer)
        session.flush()
        user = create_user(session, email=f"payroll{spec.key}-{spec.enterprise_number}@realistic.example.be",
                           password="", password_hash=NO_PASSWORD, role=Role.EMPLOYER, first_name="Pay",
                           last_name="Roll", language="nl" if spec.key % 2 else "fr", confirmed_at=now,
                           employer_id=employer.id)
        rows = []
        for _ in range(spec.contributions):
            serial += 1
            rows.append(CleanDeclaration(
                worker_first_name="Worker", worker_last_name=f"N{serial}",
                worker_niss=national_number(date(1960, 1, 1) + timedelta(days=serial // 997), serial % 997 + 1),
                contract_end_on=today - timedelta(days=10), physician_decision_on=None, agent_name=None,
                agent_email=None, agent_phone=None))
        ids = declare_many(session, user, rows, employer_id=employer.id, today=today, now=now)
        for cid, reference, amount in session.execute(
                select(Contribution.id, Contribution.structured_reference, Contribution.amount_cents)
                .where(Contribution.declaration_id.in_(ids)).order_by(Contribution.id)):
            owed.append(Owed(cid, spec.key, reference, amount))
        assert session.scalar(select(Declaration.employer_id).where(Declaration.id == ids[0])) == employer.id
    session.flush()
    return owed
