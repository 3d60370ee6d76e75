"""The providers a person chooses from when asking for a voucher (issue 16): not a name alone, but what a choice
rests on: the languages they coach in, their places nearest the person's postcode, on site or online, and a link to
the profile.

Two queries for the whole list, whatever its length: the providers (those present in the person's region, by the
regions they declare or a place there; all listed providers when none is or no postcode is known yet), then each
one's nearest places. Read as rows: the page shows them and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import Session

from coaching.marketplace.domain import region_for_postcode, split_codes
from coaching.marketplace.models import ContactPoint
from coaching.providers.models import Provider

PLACES_SHOWN: Final = 3  # places on a provider's card, nearest first; the profile lists them all
MAX_CHOICES: Final = 200


@dataclass
class ProviderChoice:
    """One provider to choose: ``places`` are rows with the ContactPoint columns (name, street, postcode,
    municipality, onsite, online), nearest the person first; ``more_places`` how many the profile shows besides."""

    id: int
    name: str
    languages: list[str]
    places: list[Any] = field(default_factory=list)
    more_places: int = 0

    @property
    def onsite(self) -> bool:
        return any(place.onsite for place in self.places)

    @property
    def online(self) -> bool:
        return any(place.online for place in self.places)


@dataclass
class ProviderChoices:
    """The list, and whether it is the person's region (``region`` is None when the postcode is not known, not
    Belgian, or no provider works there: then every listed provider is offered)."""

    providers: list[ProviderChoice]
    region: str | None


def _in_region(region: str) -> Any:
    declared = or_(Provider.regions == region, Provider.regions.like(f"{region},%"),
                   Provider.regions.like(f"%,{region}"), Provider.regions.like(f"%,{region},%"))
    return or_(declared, exists().where(ContactPoint.provider_id == Provider.id, ContactPoint.region == region))


def providers_to_choose(session: Session, *, postcode: str | None, today: date,
                        limit: int = MAX_CHOICES) -> ProviderChoices:
    """The listed providers (quality label valid on ``today``) for someone living at ``postcode``, by name."""
    region = region_for_postcode(postcode or "")
    columns = select(Provider.id, Provider.name, Provider.languages).where(Provider.offered_on_clause(today))
    rows = list(session.execute(columns.where(_in_region(region)).order_by(Provider.name, Provider.id).limit(limit))
                ) if region else []
    if not rows:
        region = None
        rows = list(session.execute(columns.order_by(Provider.name, Provider.id).limit(limit)))
    choices = {row.id: ProviderChoice(row.id, row.name, split_codes(row.languages)) for row in rows}
    if choices:
        _add_places(session, choices, (postcode or "").strip(), region)
    return ProviderChoices(list(choices.values()), region)


def _add_places(session: Session, choices: dict[int, ProviderChoice], postcode: str, region: str | None) -> None:
    # Near: the same postcode, then the same first two digits (the postcodes of a district), then the same region.
    closeness = [(ContactPoint.region == region, 2)] if region else []
    if postcode:
        closeness = [(ContactPoint.postcode == postcode, 0),
                     (func.substr(ContactPoint.postcode, 1, 2) == postcode[:2], 1), *closeness]
    nearest: list[Any] = [ContactPoint.municipality_key, ContactPoint.id]
    if closeness:
        nearest.insert(0, case(*closeness, else_=3))
    ranked = (select(ContactPoint.provider_id, ContactPoint.name, ContactPoint.street, ContactPoint.postcode,
                     ContactPoint.municipality, ContactPoint.onsite, ContactPoint.online,
                     func.row_number().over(partition_by=ContactPoint.provider_id, order_by=nearest).label("rank"),
                     func.count().over(partition_by=ContactPoint.provider_id).label("total"))
              .where(ContactPoint.provider_id.in_(list(choices))).subquery())
    for row in session.execute(select(ranked).where(ranked.c.rank <= PLACES_SHOWN)
                               .order_by(ranked.c.provider_id, ranked.c.rank)):
        choice = choices[row.provider_id]
        choice.places.append(row)
        choice.more_places = row.total - len(choice.places)
