"""Operator commands, settings and the migrations."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from portal.auth.models import User
from portal.config import normalise_database_url


def test_create_user_command(app, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "--role", "fund_admin", "--email", "Boss@Example.be",
                                 "--password", "long enough password"])
    assert result.exit_code == 0, result.output
    user = db_session.scalar(select(User).where(User.email == "boss@example.be"))
    assert user is not None and user.role == "fund_admin" and user.is_confirmed
    assert result.output.strip() == str(user.id)


def test_create_user_refuses_duplicates_and_weak_passwords(app, db_session):
    runner = app.test_cli_runner()
    args = ["create-user", "--role", "fund_admin", "--email", "dup@example.be", "--password", "long enough password"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "already exists" in again.output
    weak = runner.invoke(args=["create-user", "--role", "fund_admin", "--email", "w@example.be", "--password", "short"])
    assert weak.exit_code != 0 and "10 characters" in weak.output


def test_create_user_needs_the_organisation_for_staff(app, db_session):
    result = app.test_cli_runner().invoke(args=["create-user", "--role", "coach", "--email", "c@example.be",
                                                "--password", "long enough password"])
    assert result.exit_code != 0 and "--provider-id" in result.output


def test_seed_demo_is_idempotent(app, db_session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    count = len(db_session.scalars(select(User.id)).all())
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert len(db_session.scalars(select(User.id)).all()) == count
    for role in ("fund_admin", "provider_admin", "coach", "employer", "beneficiary"):
        assert role in first.output


def test_demo_money_is_real_and_agrees_with_the_ledger(app, db_session):
    """The demo's employer has contributions in every state, paid through an imported bank statement."""
    from vouchers.banking.models import BankLine
    from vouchers.employers.models import Contribution
    from vouchers.ledger.services.consistency import check_ledger

    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    states = sorted(db_session.scalars(select(Contribution.status)).all())
    assert states == ["due", "due", "paid", "partially_paid"]
    assert sorted(db_session.scalars(select(BankLine.status)).all()) == ["matched", "matched", "unmatched"]
    assert check_ledger(db_session) == []


def test_naive_datetimes_are_refused(db_session):
    from tests.support.factories import make_user

    user = make_user(db_session)
    user.last_login_at = datetime(2026, 1, 1, 12, 0)  # no time zone
    with pytest.raises(Exception, match="naive datetime"):
        db_session.flush()
    db_session.rollback()


def test_aware_datetimes_come_back_in_utc(db_session):
    from tests.support.factories import make_user

    user = make_user(db_session)
    user.last_login_at = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    db_session.flush()
    db_session.expire(user)
    assert user.last_login_at == datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    assert user.last_login_at.tzinfo is not None


@pytest.mark.parametrize("url,expected", [
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_database_urls_use_psycopg3(url, expected):
    assert normalise_database_url(url) == expected


def test_migrations_match_the_models(app, db_session):
    """Every model change has its migration: autogenerate finds nothing to add."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from portal.db import db

    context = MigrationContext.configure(db_session.connection(), opts={"compare_type": True})
    assert compare_metadata(context, db.metadata) == []


def test_the_migration_history_has_one_head(app):
    """Parallel work must be merged: `flask db upgrade` refuses several heads."""
    from alembic.script import ScriptDirectory

    from portal.config import PROJECT_ROOT

    script = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    assert len(script.get_heads()) == 1


def test_a_coach_made_by_the_command_has_a_calendar_ready_to_book(app, client, db_session):
    from coaching.providers.models import Coach
    from tests.support.factories import make_provider
    from tests.support.web import bearer

    provider = make_provider(db_session)
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["create-user", "--role", "coach", "--email", "cli-coach@example.be",
                                                "--password", "long enough password", "--first-name", "Ana",
                                                "--provider-id", str(provider.id)])
    assert result.exit_code == 0, result.output
    coach = db_session.scalar(select(Coach).where(Coach.user_id == int(result.output.strip())))
    assert coach is not None and coach.provider_id == provider.id and coach.calendar_token
    headers = bearer(client, "cli-coach@example.be", "long enough password")
    listed = client.get("/api/v1/provider/coaches", headers=headers).get_json()
    assert [c["id"] for c in listed["items"]] == [coach.id]
