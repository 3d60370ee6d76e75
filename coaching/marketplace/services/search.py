"""The marketplace: providers' contact points and catalogue, public search and profiles.

A beneficiary looks for a listed provider near them (the region or province of
a contact point, found from a postcode or a municipality), in their language,
on site or online, for a theme of the catalogue, or by free text. Delisted
providers vanish from search and their profile, but nothing of theirs is
deleted: vouchers, sessions and claims keep their history.

Search is designed for the benchmark's scale (10k contact points, ~550
providers): each filter on contact points is one correlated ``EXISTS`` that the
planner answers from ``ix_contact_points_region`` (region, provider_id) or the
provider's own index; pages are keyset-paged on (name, id).

Services here flush and never commit; views and the API commit once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import (
    and_,
    case,
    distinct,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from coaching.marketplace.domain import (
    LANGUAGE_CODES,
    MODES,
    REGION_CODES,
    REGION_NAMES,
    THEME_TOPICS,
    municipality_key,
    region_for_postcode,
    split_codes,
)
from coaching.marketplace.models import CatalogueTheme, ContactPoint
from coaching.providers.models import Offer, Provider
from portal.clock import today_in_brussels
from portal.errors import N_, NotFound, ValidationFailed
from portal.pagination import decode_cursor, encode_cursor
from vouchers.requests.models import Voucher

# Outcome figures are shown only once a provider has at least this many *closed* vouchers
# (completed, expired or withdrawn). Below it, one or two unlucky courses would swing the share
# and make a small or new provider look better or worse than it is; the profile says so instead.
MIN_CLOSED_VOUCHERS_FOR_OUTCOMES: Final = 10


CLOSED_VOUCHER_STATUSES: Final = ("completed", "expired", "withdrawn")


# Province and region names as people type them in French, Dutch, German and English (folded keys).
REGION_ALIASES: Final = {
    "bruxelles": "brussels", "brussel": "brussels", "brussels": "brussels", "bruxelles capitale": "brussels",
    "brabant wallon": "walloon_brabant", "waals brabant": "walloon_brabant", "wallonisch brabant": "walloon_brabant",
    "brabant flamand": "flemish_brabant", "vlaams brabant": "flemish_brabant", "flamisch brabant": "flemish_brabant",
    "antwerpen": "antwerp", "anvers": "antwerp", "limbourg": "limburg", "luik": "liege", "luttich": "liege",
    "namen": "namur", "henegouwen": "hainaut", "hennegau": "hainaut", "luxemburg": "luxembourg",
    "west vlaanderen": "west_flanders", "flandre occidentale": "west_flanders", "westflandern": "west_flanders",
    "oost vlaanderen": "east_flanders", "flandre orientale": "east_flanders", "ostflandern": "east_flanders",
}


MAX_PAGE_SIZE: Final = 200


NEAR_CONTACT_POINTS: Final = 3  # contact points shown on a search result card








def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _invalid(message: str, field_name: str, problem: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field_name: [problem]})


def _is_listed():  # type: ignore[no-untyped-def]
    # Today in Brussels: a provider whose quality label expired drops out at midnight. (Search is read by
    # anonymous visitors through several entry points; the day is taken here rather than threaded through.)
    return Provider.offered_on_clause(today_in_brussels())


@dataclass(frozen=True)
class Place:
    """Where the beneficiary is: the regions to search, and what to show first inside them."""

    regions: tuple[str, ...]
    postcode: str | None = None
    municipality_key: str | None = None


@dataclass
class ProviderCard:
    """One search result. Rows rather than ORM objects (read-only, and three times faster to load):
    ``provider`` has id, name, languages; ``near`` has the ContactPoint columns; ``offers`` the Offer ones."""

    provider: Any
    near: list[Any] = field(default_factory=list)  # matching contact points, nearest first
    matching_contact_points: int = 0
    regions: list[str] = field(default_factory=list)  # every region the provider is present in
    offers: list[Any] = field(default_factory=list)


@dataclass
class SearchPage:
    items: list[ProviderCard]
    next_cursor: str | None
    place: Place | None


def resolve_place(session: Session, text: str | None) -> Place | None:
    """A postcode maps to its region (DOMAIN.md table); a municipality to the regions of the
    contact points registered there, or to a province of the same name. Unknown → 422 on ``place``."""
    raw = (text or "").strip()
    if not raw:
        return None
    if raw.isdigit():
        region = region_for_postcode(raw)
        if region is None:
            raise _invalid(N_("This is not a Belgian postcode."), "place",
                           N_("Enter a Belgian postcode of 4 digits, for example 4000, or a municipality."))
        return Place(regions=(region,), postcode=raw)
    key = municipality_key(raw)
    regions = tuple(session.scalars(select(distinct(ContactPoint.region))
                                    .where(ContactPoint.municipality_key == key)))
    if not regions:
        regions = tuple(code for code, name in REGION_NAMES.items()
                        if key in (municipality_key(name), municipality_key(code)) or REGION_ALIASES.get(key) == code)
    if not regions:
        raise _invalid(N_("We do not know this municipality."), "place",
                       N_("We do not know this municipality. Try its postcode, for example 5000."))
    return Place(regions=tuple(sorted(regions, key=REGION_CODES.index)), municipality_key=key)


def _contact_point_conditions(regions: tuple[str, ...] | None, language: str | None, mode: str | None) -> list[Any]:
    conditions: list[Any] = []
    if regions:
        conditions.append(ContactPoint.region.in_(regions))
    if language:
        conditions.append(ContactPoint.languages.contains(language))
    if mode == "onsite":
        conditions.append(ContactPoint.onsite.is_(True))
    elif mode == "online":
        conditions.append(ContactPoint.online.is_(True))
    return conditions


def _check_filters(region: str | None, language: str | None, mode: str | None, theme: str | None,
                   q: str | None, limit: int) -> None:
    for name, value, allowed in (("region", region, REGION_CODES), ("language", language, LANGUAGE_CODES),
                                 ("mode", mode, MODES), ("theme", theme, THEME_TOPICS)):
        if value and value not in allowed:
            raise _invalid(N_("Unknown search filter."), name, f"Must be one of: {', '.join(allowed)}.")
    if q and len(q) > 200:
        raise _invalid(N_("The search text is too long."), "q", "At most 200 characters.")
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise _invalid(N_("Unknown search filter."), "limit", f"Between 1 and {MAX_PAGE_SIZE}.")


def search_providers(session: Session, *, region: str | None = None, language: str | None = None,
                     mode: str | None = None, theme: str | None = None, q: str | None = None, limit: int = 50,
                     cursor: str | None = None, place: str | None = None) -> SearchPage:
    """Listed providers matching every filter, by name, keyset-paged on (name, id).

    ``region`` (a region/province code) and ``place`` (a postcode or municipality) select contact
    points; ``language`` and ``mode`` must hold at that same contact point ("a place in Liège where
    they coach in German, on site"). ``theme`` is a catalogue topic; ``q`` searches the provider's
    name and description and its catalogue titles. Providers without contact points only show up
    when no place, language or mode is asked for.
    """
    _check_filters(region, language, mode, theme, q, limit)
    where = resolve_place(session, place)
    regions: tuple[str, ...] | None = where.regions if where else None
    if region:
        regions = tuple(r for r in (regions or (region,)) if r == region)
        if not regions:
            return SearchPage([], None, where)

    query = select(Provider.id, Provider.name, Provider.languages).where(_is_listed())
    conditions = _contact_point_conditions(regions, language, mode)
    if conditions:
        query = query.where(exists().where(ContactPoint.provider_id == Provider.id, *conditions))
    if theme:
        query = query.where(exists().where(CatalogueTheme.provider_id == Provider.id, CatalogueTheme.topic == theme))
    text = (q or "").strip()
    if text:
        pattern = _like_pattern(text)
        query = query.where(or_(
            Provider.name.ilike(pattern, escape="\\"),
            Provider.description.ilike(pattern, escape="\\"),
            exists().where(CatalogueTheme.provider_id == Provider.id,
                           CatalogueTheme.title.ilike(pattern, escape="\\")),
        ))
    after = decode_cursor(cursor, 2)
    if after is not None:
        if not isinstance(after[0], str) or not isinstance(after[1], int):
            raise _invalid(N_("The cursor is not valid."), "cursor", "Use next_cursor as it was given.")
        query = query.where(or_(Provider.name > after[0], and_(Provider.name == after[0], Provider.id > after[1])))
    providers = list(session.execute(query.order_by(Provider.name, Provider.id).limit(limit + 1)))
    next_cursor = None
    if len(providers) > limit:
        providers = providers[:limit]
        next_cursor = encode_cursor([providers[-1].name, providers[-1].id])
    cards = _cards(session, providers, where, regions, language, mode)
    return SearchPage(cards, next_cursor, where)


def _cards(session: Session, providers: list[Any], where: Place | None, regions: tuple[str, ...] | None,
           language: str | None, mode: str | None) -> list[ProviderCard]:
    """Three small queries for the whole page: nearest matching contact points, regions, active offers.

    (Folding the first two into one windowed query was measured: it sorts every contact point of the
    page three times and came out twice as slow on PostgreSQL.)"""
    cards = {p.id: ProviderCard(p) for p in providers}
    if not cards:
        return []
    ids = list(cards)
    nearest = [ContactPoint.municipality_key, ContactPoint.id]
    if where and where.municipality_key:
        nearest.insert(0, case((ContactPoint.municipality_key == where.municipality_key, 0), else_=1))
    if where and where.postcode:
        nearest.insert(0, case((ContactPoint.postcode == where.postcode, 0), else_=1))
    ranked = (select(ContactPoint,
                     func.row_number().over(partition_by=ContactPoint.provider_id, order_by=nearest).label("rank"),
                     func.count().over(partition_by=ContactPoint.provider_id).label("total"))
              .where(ContactPoint.provider_id.in_(ids), *_contact_point_conditions(regions, language, mode))
              .subquery())
    for row in session.execute(select(ranked).where(ranked.c.rank <= NEAR_CONTACT_POINTS)
                               .order_by(ranked.c.provider_id, ranked.c.rank)):
        card = cards[row.provider_id]
        card.near.append(row)
        card.matching_contact_points = row.total
    for provider_id, region_code in session.execute(
            select(ContactPoint.provider_id, ContactPoint.region).where(ContactPoint.provider_id.in_(ids))
            .group_by(ContactPoint.provider_id, ContactPoint.region)):
        cards[provider_id].regions.append(region_code)
    for card in cards.values():
        card.regions.sort(key=REGION_CODES.index)
    offer_columns = [c for c in Offer.__table__.c if c.key != "created_at"]
    for offer in session.execute(select(*offer_columns).where(Offer.provider_id.in_(ids), Offer.active.is_(True))
                                 .order_by(Offer.provider_id, Offer.individual_hours, Offer.id)):
        cards[offer.provider_id].offers.append(offer)
    return list(cards.values())


@dataclass(frozen=True)
class Outcomes:
    vouchers_completed: int
    closed_vouchers: int
    finished_percent: int  # completed / closed, rounded half up


@dataclass
class ProviderProfile:
    provider: Provider
    languages: list[str]
    regions: list[str]
    offers: list[Offer]
    contact_points: list[ContactPoint]
    catalogue: list[CatalogueTheme]
    outcomes: Outcomes | None
    # Why ``outcomes`` is None: "not_enough_cases" (fewer than MIN_CLOSED_VOUCHERS_FOR_OUTCOMES closed).
    outcomes_hidden_reason: str | None


def outcome_figures(session: Session, provider_id: int) -> Outcomes | None:
    """Vouchers completed, and the share that finished among closed ones; None below the threshold.

    One grouped count over ``ix_vouchers_provider_status``.
    """
    rows = session.execute(select(Voucher.status, func.count()).where(
        Voucher.provider_id == provider_id, Voucher.status.in_(CLOSED_VOUCHER_STATUSES)).group_by(Voucher.status))
    counts = {status: number for status, number in rows}
    closed = sum(counts.values())
    if closed < MIN_CLOSED_VOUCHERS_FOR_OUTCOMES:
        return None
    completed = counts.get("completed", 0)
    return Outcomes(completed, closed, (200 * completed + closed) // (2 * closed))


def provider_profile(session: Session, provider_id: int) -> ProviderProfile:
    """The public profile of a listed provider; a delisted or unknown one is not found."""
    provider = session.scalar(select(Provider).where(Provider.id == provider_id, _is_listed()))
    if provider is None:
        raise NotFound(N_("There is no listed provider with this number."))
    contact_points = list(session.scalars(select(ContactPoint).where(ContactPoint.provider_id == provider_id)))
    contact_points.sort(key=lambda c: (REGION_CODES.index(c.region), c.municipality_key, c.id))
    catalogue = list(session.scalars(select(CatalogueTheme).where(CatalogueTheme.provider_id == provider_id)
                                     .order_by(CatalogueTheme.topic, CatalogueTheme.title, CatalogueTheme.id)))
    offers = list(session.scalars(select(Offer).where(Offer.provider_id == provider_id, Offer.active.is_(True))
                                  .order_by(Offer.individual_hours, Offer.id)))
    regions = sorted({c.region for c in contact_points}, key=REGION_CODES.index)
    outcomes = outcome_figures(session, provider_id)
    return ProviderProfile(provider, split_codes(provider.languages), regions, offers, contact_points, catalogue,
                           outcomes, None if outcomes else "not_enough_cases")
