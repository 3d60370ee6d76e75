"""Use cases of the coaching package (the marketplace side)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from coaching.providers.models import Coach, Provider
from portal.clock import today_in_brussels


def listed_providers(session: Session, *, region: str | None = None, language: str | None = None,
                     q: str | None = None, limit: int = 200) -> list[Provider]:
    """Providers on the fund's list; delisted ones keep their history but vanish from here."""
    query = select(Provider).where(Provider.offered_on_clause(today_in_brussels()))
    if region:
        query = query.where(or_(Provider.regions == region, Provider.regions.like(f"{region},%"),
                                Provider.regions.like(f"%,{region}"), Provider.regions.like(f"%,{region},%")))
    if language:
        query = query.where(Provider.languages.like(f"%{language}%"))
    if q:
        query = query.where(Provider.name.ilike(f"%{q.strip()}%"))
    return list(session.scalars(query.order_by(Provider.name).limit(limit)))


def listed_provider_names(session: Session, *, limit: int = 200) -> dict[int, str]:
    """The listed providers' names by id, by name, read as rows (a form's choices need nothing more)."""
    return dict(session.execute(select(Provider.id, Provider.name).where(Provider.offered_on_clause(today_in_brussels()))
                                .order_by(Provider.name).limit(limit)).all())


def active_coaches(session: Session, provider_id: int | None) -> list[Coach]:
    """The provider's coaches who can be booked, by name."""
    return list(session.scalars(select(Coach).where(Coach.provider_id == provider_id, Coach.active.is_(True))
                                .order_by(Coach.display_name)))
