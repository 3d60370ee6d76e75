"""Fixtures for the ledger: contributions declared through the employers' service, and their money moved
through the real services (bank statements imported, card payments and refunds through the fake gateway,
claims approved and paid through a payout batch)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from portal.clock import utcnow
from portal.permissions import Role
from tests.support.factories import make_user, new_niss


@pytest.fixture
def declare(db_session, today):
    """A contribution of 180,000 cents due, declared by an employer through the employers' service."""
    from vouchers.employers.services.declarations import (
        DeclarationData,
        declare_dismissal,
    )

    def build(employer_user: Any = None) -> Any:
        user = employer_user or make_user(db_session, Role.EMPLOYER, language="en")
        data = DeclarationData(worker_first_name="Ana", worker_last_name="Peeters", worker_niss=new_niss(),
                               contract_end_on=today - timedelta(days=10))
        result = declare_dismissal(db_session, user, data, today=today, now=utcnow())
        db_session.flush()
        return result.declaration.contribution

    return build


@pytest.fixture
def import_statement(db_session, admin):
    """Import a CAMT.053 statement as the fund's administrator, through the statements' service."""
    from vouchers.banking.services import statements

    def run(data: bytes) -> Any:
        result = statements.import_statement(db_session, admin, data, file_name="statement.xml", now=utcnow())
        db_session.flush()
        return result

    return run
