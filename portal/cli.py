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
    def create_user_command(role: str, email: str, password: str, first_name: str, last_name: str,
                            language: str, provider_id: int | None, employer_id: int | None) -> None:
        """Create a confirmed, active account and print its id."""
        from portal.auth.services import create_user
        from portal.clock import utcnow
        from portal.db import db
        from portal.errors import DomainError

        if role in (Role.PROVIDER_ADMIN, Role.COACH) and provider_id is None:
            raise click.UsageError("--provider-id is required for provider staff")
        if role == Role.EMPLOYER and employer_id is None:
            raise click.UsageError("--employer-id is required for employer users")
        try:
            user = create_user(db.session, email=email, password=password, role=role, first_name=first_name,
                               last_name=last_name, language=language, confirmed_at=utcnow(),
                               provider_id=provider_id, employer_id=employer_id)
        except DomainError as error:
            db.session.rollback()
            details = "; ".join(p for problems in error.fields.values() for p in problems)
            raise click.ClickException(f"{error.message} {details}".strip()) from error
        if role == Role.COACH:  # a coach comes with a calendar, ready to book
            from coaching.providers.models import Coach, Provider

            if db.session.get(Provider, provider_id) is None:
                db.session.rollback()
                raise click.ClickException(f"No provider {provider_id}.")
            db.session.add(Coach(provider_id=provider_id, user_id=user.id, email=user.email,
                                 display_name=f"{first_name} {last_name}".strip() or user.email))
        db.session.commit()
        click.echo(user.id)

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
