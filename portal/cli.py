"""Operator commands: create-user, seed-demo (db upgrade comes from Flask-Migrate)."""

from __future__ import annotations

import click
from flask import Flask

from portal.permissions import Role


def register_commands(app: Flask) -> None:
    from vouchers.ledger.services.consistency import register_consistency_command

    register_consistency_command(app)

    @app.cli.command("create-user")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--email", required=True)
    @click.option("--password", required=True)
    @click.option("--first-name", default="")
    @click.option("--last-name", default="")
    @click.option("--language", type=click.Choice(["fr", "nl", "de", "en"]), default="fr")
    @click.option("--provider-id", type=int)
    @click.option("--employer-id", type=int)
    @click.option("--niss", help="A beneficiary's national register (or BIS) number; without it a placeholder BIS "
                  "number of unknown birth date is given, to be replaced when the person proves theirs.")
    @click.option("--insurer-code", type=int, help="A coordinator's mutual insurer: 100, 200, 300, 400, 500, 600 "
                  "or 900.")
    def create_user_command(role: str, email: str, password: str, first_name: str, last_name: str,
                            language: str, provider_id: int | None, employer_id: int | None,
                            insurer_code: int | None, niss: str | None) -> None:
        """Create a confirmed, active account and print its id.

        A fund administrator gets two-step sign-in at once: a second line `otp-secret: BASE32` gives the TOTP secret
        to enter in an authenticator app."""
        from portal.auth import two_step
        from portal.auth.services import create_user
        from portal.clock import utcnow
        from portal.db import db
        from portal.errors import DomainError

        if role in (Role.PROVIDER_ADMIN, Role.COACH) and provider_id is None:
            raise click.UsageError("--provider-id is required for provider staff")
        if role == Role.EMPLOYER and employer_id is None:
            raise click.UsageError("--employer-id is required for employer users")
        _check_organisation(role, provider_id, employer_id)
        if role == Role.COORDINATOR and insurer_code is None:
            raise click.UsageError("--insurer-code is required for coordinators")
        if role != Role.COORDINATOR and insurer_code is not None:
            raise click.UsageError("--insurer-code is only for coordinators")
        if role == Role.COORDINATOR:  # a return-to-work coordinator works for one mutual insurer
            from vouchers.coordinators.services.staff import clean_insurer_code

            try:
                clean_insurer_code(insurer_code)
            except DomainError as error:
                raise click.UsageError(f"--insurer-code must be one of the mutual insurers' numbers, not "
                                       f"{insurer_code}") from error
        try:
            user = create_user(db.session, email=email, password=password, role=role, first_name=first_name,
                               last_name=last_name, language=language, confirmed_at=utcnow(),
                               provider_id=provider_id, employer_id=employer_id)
        except DomainError as error:
            db.session.rollback()
            details = "; ".join(p for problems in error.fields.values() for p in problems)
            raise click.ClickException(f"{error.message} {details}".strip()) from error
        if role == Role.COORDINATOR:
            user.insurer_code = insurer_code
        if role == Role.BENEFICIARY:  # ready to use: a beneficiary needs its profile to request a voucher
            _add_beneficiary_profile(user, niss)
        if role == Role.COACH:  # a coach comes with a calendar, ready to book
            from coaching.providers.models import Coach, Provider

            if db.session.get(Provider, provider_id) is None:
                db.session.rollback()
                raise click.ClickException(f"No provider {provider_id}.")
            db.session.add(Coach(provider_id=provider_id, user_id=user.id, email=user.email,
                                 display_name=f"{first_name} {last_name}".strip() or user.email))
        secret = None
        if two_step.required(user):  # a fund administrator signs in with a second factor from the start
            secret = two_step.new_secret()
            two_step.turn_on(db.session, user, secret, now=utcnow())
        db.session.commit()
        click.echo(user.id)
        if secret:
            click.echo(f"otp-secret: {secret}")

    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="Run every job once for the current period, then exit.")
    def scheduler_command(once: bool) -> None:
        """The one scheduler process (APScheduler). Run it beside the web server, never inside it."""
        from portal.scheduler import run_scheduler

        run_scheduler(app, once=once)

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Realistic demo data for every role (idempotent: a second run adds nothing)."""
        from portal.db import db
        from portal.demo import seed_demo

        logins = seed_demo(db.session)
        db.session.commit()
        click.echo("Demo logins (password for all: demo-password):")
        for role, email in logins:
            click.echo(f"  {role:<15} {email}")
        from portal.auth.models import User

        for _role, email in logins:
            user = db.session.scalar(User.by_email(email))
            if user is not None and user.totp_enabled_at is not None and user.totp_secret:
                click.echo(f"Two-step sign-in of {email} (TOTP, 30 s, 6 digits): enter this secret in an "
                           "authenticator app, or print the current code with\n"
                           f"  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{user.totp_secret}').now())\"")
                click.echo(f"otp-secret: {user.totp_secret}")


def _check_organisation(role: str, provider_id: int | None, employer_id: int | None) -> None:
    """Staff and employer users belong to an organisation that exists (else their first action would fail)."""
    from coaching.providers.models import Provider
    from portal.db import db
    from vouchers.employers.models import Employer

    if provider_id is not None and db.session.get(Provider, provider_id) is None:
        raise click.UsageError(f"No provider {provider_id}.")
    if employer_id is not None and db.session.get(Employer, employer_id) is None:
        raise click.UsageError(f"No employer {employer_id}.")


def _add_beneficiary_profile(user, niss: str | None) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select
    from stdnum.be import bis, nn

    from portal.db import db
    from vouchers.requests.models import Beneficiary

    if niss:
        number = "".join(ch for ch in niss if ch.isdigit())
        if not (nn.is_valid(number) or bis.is_valid(number)):
            db.session.rollback()
            raise click.UsageError("--niss is not a valid national register or BIS number")
    else:
        # A BIS number of unknown birth date (month 20, day 00): the first free serial.
        taken = set(db.session.scalars(select(Beneficiary.niss).where(Beneficiary.niss.like("002000%"))))
        number = next(candidate for serial in range(1, 998)
                      if (candidate := f"002000{serial:03d}" + f"{97 - int(f'002000{serial:03d}') % 97:02d}")
                      not in taken)
    if db.session.scalar(select(Beneficiary.id).where(Beneficiary.niss == number)) is not None:
        db.session.rollback()
        raise click.UsageError("This national register number already has an account.")
    db.session.add(Beneficiary(user_id=user.id, niss=number))
