from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.providers.models import Provider
from portal.errors import N_
from portal.fund_settings import rules_on
from portal.notify import fund_admins, notify_user, provider_admins
from portal.scheduler import scheduled


@scheduled("quality_label_warnings", trigger="cron", hour=6, minute=0,
           description="Warn the fund and the provider when a quality label expires within 60 days.")
def label_warnings(session: Session, *, today: date, now: datetime) -> str:
    horizon = today + timedelta(days=rules_on(session, today).label_warning_days)
    providers = session.scalars(select(Provider).where(Provider.delisted_at.is_(None),
                                                       Provider.label_valid_until_on.is_not(None),
                                                       Provider.label_valid_until_on <= horizon)).all()
    for provider in providers:
        assert provider.label_valid_until_on is not None
        key = f"label-{provider.id}-{provider.label_valid_until_on.isoformat()}"
        for user in fund_admins(session) + provider_admins(session, provider.id):
            notify_user(session, user, key=key, subject=N_("Quality label of %(name)s expires on %(day)s"),
                        body=N_("The quality label %(label)s of %(name)s is valid until %(day)s. Please send the renewed label to the fund in time to stay listed."),
                        name=provider.name, day=provider.label_valid_until_on.isoformat(),
                        label=provider.quality_label or "")
    return f"{len(providers)} labels expiring"
