"""Operator commands, settings and the migrations."""

from __future__ import annotations

import re
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
    # A fund administrator signs in with a second factor: the second line gives its TOTP secret.
    id_line, secret_line = result.output.strip().splitlines()
    assert id_line == str(user.id)
    assert secret_line.startswith("otp-secret: ") and user.totp_enabled_at is not None
    secret = secret_line.removeprefix("otp-secret: ")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret) and secret == user.totp_secret


def test_the_secret_create_user_prints_signs_in_with_pyotp(app, client, db_session):
    import pyotp

    result = app.test_cli_runner().invoke(args=["create-user", "--role", "fund_admin", "--email", "otp@example.be",
                                                "--password", "long enough password"])
    secret = result.output.strip().splitlines()[1].removeprefix("otp-secret: ")
    body = {"email": "otp@example.be", "password": "long enough password"}
    assert client.post("/api/v1/auth/token", json=body).get_json()["error"]["code"] == "otp_required"
    assert client.post("/api/v1/auth/token", json={**body, "otp": pyotp.TOTP(secret).now()}).status_code == 201


@pytest.mark.parametrize("role", ["beneficiary", "employer", "provider_admin", "coach"])
def test_create_user_prints_no_secret_for_other_roles(app, db_session, role):
    from tests.support.factories import make_employer, make_provider

    links = {"provider_admin": ["--provider-id", str(make_provider(db_session).id)],
             "coach": ["--provider-id", str(make_provider(db_session).id)],
             "employer": ["--employer-id", str(make_employer(db_session).id)]}.get(role, [])
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["create-user", "--role", role, "--email", f"{role}@example.be",
                                                "--password", "long enough password", *links])
    assert result.exit_code == 0, result.output
    user = db_session.scalar(select(User).where(User.email == f"{role}@example.be"))
    assert result.output.strip() == str(user.id) and user.totp_secret is None and user.totp_enabled_at is None


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
    # The demo fund administrator signs in with a second factor whose secret is printed, the same on every run.
    from portal.demo import DEMO_TOTP_SECRET

    assert f"otp-secret: {DEMO_TOTP_SECRET}" in first.output.splitlines()
    assert f"otp-secret: {DEMO_TOTP_SECRET}" in second.output.splitlines()
    admin = db_session.scalar(select(User).where(User.email == "admin@demo.tnw.be"))
    assert admin.totp_secret == DEMO_TOTP_SECRET and admin.totp_enabled_at is not None


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
    from portal.search import FOLDED_NAME_INDEXES

    def declared(name, kind, parent) -> bool:  # (PostgreSQL's trigram indexes of folded names: portal.search)
        return not (kind == "index" and name in FOLDED_NAME_INDEXES)

    context = MigrationContext.configure(db_session.connection(), opts={"compare_type": True,
                                                                         "include_name": declared})
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


def test_a_beneficiary_made_by_the_command_can_request_a_voucher(app, client, db_session):
    from datetime import timedelta

    from portal.clock import today_in_brussels
    from tests.support.factories import make_provider
    from tests.support.web import bearer

    provider = make_provider(db_session)
    db_session.commit()
    runner = app.test_cli_runner()
    made = runner.invoke(args=["create-user", "--role", "beneficiary", "--email", "cli-person@example.be",
                               "--password", "long enough password"])
    assert made.exit_code == 0, made.output
    headers = bearer(client, "cli-person@example.be", "long enough password")
    response = client.post("/api/v1/voucher-requests", headers=headers, json={
        "provider_id": provider.id, "insurer_code": 300, "initiative": "coordinator", "force_majeure": True,
        "contract_end_on": (today_in_brussels() - timedelta(days=20)).isoformat(),
        "address": {"street": "Rue", "number": "1", "postcode": "1000", "municipality": "Bruxelles"}})
    assert response.status_code == 201, response.get_json()
    second = runner.invoke(args=["create-user", "--role", "beneficiary", "--email", "cli-person2@example.be",
                                 "--password", "long enough password"])
    assert second.exit_code == 0, second.output  # each gets its own placeholder number


def test_the_command_refuses_an_organisation_that_does_not_exist(app, db_session):
    runner = app.test_cli_runner()
    for args in (["--role", "provider_admin", "--provider-id", "999999"], ["--role", "employer", "--employer-id",
                                                                           "999999"]):
        result = runner.invoke(args=["create-user", "--email", "x@example.be", "--password", "long enough password",
                                     *args])
        assert result.exit_code != 0 and "No " in result.output




def test_sqlite_enforces_references_again_after_the_migrations(tmp_path):
    """SQLite's foreign keys are off while the migrations rebuild tables, and the pragma is ignored inside a
    transaction: the connection the migrations used (pooled, then reused by whatever the process does next: the
    demo's server, a test run) once went on without them."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.db import db

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/refs.db"})
    with app.app_context():
        upgrade()
        try:
            with db.engine.connect() as connection:  # the pool's connection: the one the migrations used
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        finally:
            db.engine.dispose()
