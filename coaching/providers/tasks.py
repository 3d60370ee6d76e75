from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.providers.models import Provider
from portal.errors import N_
from portal.fund_settings import rules_on
from portal.notifications.services import (
    fund_admins,
    notify,
    page,
    provider_admins,
)
from portal.scheduler import scheduled


@scheduled("quality_label_warnings", trigger="cron", hour=6, minute=0,
           description=N_("Warn the fund and the provider when a quality label expires within 60 days."))
def label_warnings(session: Session, *, today: date, now: datetime) -> str:
    horizon = today + timedelta(days=rules_on(session, today).label_warning_days)
    providers = session.scalars(select(Provider).where(Provider.delisted_at.is_(None),
                                                       Provider.label_valid_until_on.is_not(None),
                                                       Provider.label_valid_until_on <= horizon)).all()
    for provider in providers:
        assert provider.label_valid_until_on is not None
        key = f"label-{provider.id}-{provider.label_valid_until_on.isoformat()}"
        notify(session, provider_admins(session, provider.id), "label_expiring", key=key,
               link=page("provider_profile.edit_profile"), object_type="provider", object_id=provider.id,
               provider=provider.name, label_valid_until_on=provider.label_valid_until_on)
        notify(session, fund_admins(session), "label_expiring", key=key, link=page("providers.providers"),
               object_type="provider", object_id=provider.id, provider=provider.name,
               label_valid_until_on=provider.label_valid_until_on)
    return f"{len(providers)} labels expiring"
