from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    distinct,
    select,
)
from sqlalchemy.orm import Session

from coaching.marketplace.domain import (
    LANGUAGE_CODES,
    REGION_CODES,
    THEME_KINDS,
    THEME_TOPICS,
    join_languages,
    municipality_key,
    region_for_postcode,
)
from coaching.marketplace.models import CatalogueTheme, ContactPoint
from coaching.providers.models import Provider
from portal import audit
from portal.errors import N_, Forbidden, NotFound, ValidationFailed
from portal.permissions import Permission, can


def _own_provider_id(actor: Any) -> int:
    if not can(actor, Permission.PROVIDER_PROFILE_EDIT) or getattr(actor, "provider_id", None) is None:
        raise Forbidden(N_("This is for coaching providers only."))
    return int(actor.provider_id)


def get_own_provider(session: Session, actor: Any) -> Provider:
    provider = session.get(Provider, _own_provider_id(actor))
    if provider is None:
        raise NotFound(N_("Your provider could not be found."))
    return provider


def list_own_places(session: Session, actor: Any) -> tuple[list[ContactPoint], list[CatalogueTheme]]:
    provider_id = _own_provider_id(actor)
    contact_points = list(session.scalars(select(ContactPoint).where(ContactPoint.provider_id == provider_id)
                                          .order_by(ContactPoint.postcode, ContactPoint.name, ContactPoint.id)))
    themes = list(session.scalars(select(CatalogueTheme).where(CatalogueTheme.provider_id == provider_id)
                                  .order_by(CatalogueTheme.title, CatalogueTheme.id)))
    return contact_points, themes


def _check_languages(codes: list[str], field_name: str, problems: dict[str, list[str]]) -> None:
    if not codes:
        problems.setdefault(field_name, []).append(N_("Choose at least one language."))
    elif any(code not in LANGUAGE_CODES for code in codes):
        problems.setdefault(field_name, []).append(N_("Choose languages from the list."))


def update_provider_profile(session: Session, actor: Any, *, description: str, languages: list[str]) -> Provider:
    """The provider's own presentation: its description and the languages it coaches in."""
    provider = get_own_provider(session, actor)
    problems: dict[str, list[str]] = {}
    _check_languages(languages, "languages", problems)
    if len(description or "") > 5000:
        problems["description"] = [N_("At most 5000 characters.")]
    if problems:
        raise ValidationFailed(N_("Please check the profile."), fields=problems)
    provider.description = (description or "").strip()
    provider.languages = join_languages(languages)
    session.flush()
    audit.record(session, actor=actor, object_type="provider", object_id=provider.id, action="profile_updated")
    return provider


@dataclass
class ContactPointData:
    name: str
    postcode: str
    municipality: str
    languages: list[str]
    street: str = ""
    onsite: bool = True
    online: bool = False


def _validated_contact_point(data: ContactPointData) -> str:
    """The region of the contact point, or every problem at once as field errors."""
    problems: dict[str, list[str]] = {}
    if not data.name.strip():
        problems["name"] = [N_("Give the contact point a name.")]
    region = region_for_postcode(data.postcode or "")
    if region is None:
        problems["postcode"] = [N_("Enter a Belgian postcode of 4 digits, for example 4000.")]
    if not data.municipality.strip():
        problems["municipality"] = [N_("Enter the municipality.")]
    _check_languages(data.languages, "languages", problems)
    if not (data.onsite or data.online):
        problems["onsite"] = [N_("Choose on site, online, or both.")]
    if problems or region is None:
        raise ValidationFailed(N_("Please check the contact point."), fields=problems)
    return region


def _apply_contact_point(contact_point: ContactPoint, data: ContactPointData, region: str) -> None:
    contact_point.name = data.name.strip()
    contact_point.street = data.street.strip()
    contact_point.postcode = data.postcode.strip()
    contact_point.municipality = data.municipality.strip()
    contact_point.municipality_key = municipality_key(data.municipality)
    contact_point.region = region
    contact_point.languages = join_languages(data.languages)
    contact_point.onsite = bool(data.onsite)
    contact_point.online = bool(data.online)


def _sync_provider_regions(session: Session, provider_id: int) -> None:
    """Keep the fund's coarse ``providers.regions`` list in step with the contact points (when there are any)."""
    session.flush()
    regions = set(session.scalars(select(distinct(ContactPoint.region)).where(ContactPoint.provider_id == provider_id)))
    if regions:
        provider = session.get(Provider, provider_id)
        if provider is not None:
            provider.regions = ",".join(code for code in REGION_CODES if code in regions)
            session.flush()


def get_own_contact_point(session: Session, actor: Any, contact_point_id: int) -> ContactPoint:
    """Another provider's contact point is reported as not found."""
    contact_point = session.get(ContactPoint, contact_point_id)
    if contact_point is None or contact_point.provider_id != _own_provider_id(actor):
        raise NotFound(N_("There is no such contact point."))
    return contact_point


def add_contact_point(session: Session, actor: Any, data: ContactPointData) -> ContactPoint:
    """A new place of the actor's provider; its region comes from the postcode."""
    provider_id = _own_provider_id(actor)
    region = _validated_contact_point(data)
    contact_point = ContactPoint(provider_id=provider_id)
    _apply_contact_point(contact_point, data, region)
    session.add(contact_point)
    _sync_provider_regions(session, provider_id)
    audit.record(session, actor=actor, object_type="contact_point", object_id=contact_point.id, action="created")
    return contact_point


def update_contact_point(session: Session, actor: Any, contact_point_id: int, data: ContactPointData) -> ContactPoint:
    contact_point = get_own_contact_point(session, actor, contact_point_id)
    region = _validated_contact_point(data)
    _apply_contact_point(contact_point, data, region)
    _sync_provider_regions(session, contact_point.provider_id)
    audit.record(session, actor=actor, object_type="contact_point", object_id=contact_point.id, action="updated")
    return contact_point


def remove_contact_point(session: Session, actor: Any, contact_point_id: int) -> None:
    contact_point = get_own_contact_point(session, actor, contact_point_id)
    provider_id = contact_point.provider_id
    session.delete(contact_point)
    _sync_provider_regions(session, provider_id)
    audit.record(session, actor=actor, object_type="contact_point", object_id=contact_point_id, action="removed")


@dataclass
class ThemeData:
    title: str
    kind: str
    language: str
    topic: str = "other"
    description: str = ""


def _check_theme(data: ThemeData) -> None:
    problems: dict[str, list[str]] = {}
    if not data.title.strip():
        problems["title"] = [N_("Give the theme a title.")]
    if data.kind not in THEME_KINDS:
        problems["kind"] = [N_("Choose individual or collective.")]
    if data.topic not in THEME_TOPICS:
        problems["topic"] = [N_("Choose a topic from the list.")]
    if data.language not in LANGUAGE_CODES:
        problems["language"] = [N_("Choose languages from the list.")]
    if problems:
        raise ValidationFailed(N_("Please check the theme."), fields=problems)


def _apply_theme(theme: CatalogueTheme, data: ThemeData) -> None:
    theme.title = data.title.strip()
    theme.description = data.description.strip()
    theme.topic = data.topic
    theme.kind = data.kind
    theme.language = data.language


def get_own_catalogue_theme(session: Session, actor: Any, theme_id: int) -> CatalogueTheme:
    theme = session.get(CatalogueTheme, theme_id)
    if theme is None or theme.provider_id != _own_provider_id(actor):
        raise NotFound(N_("There is no such theme."))
    return theme


def add_catalogue_theme(session: Session, actor: Any, data: ThemeData) -> CatalogueTheme:
    """A theme of the provider's catalogue of action sessions."""
    provider_id = _own_provider_id(actor)
    _check_theme(data)
    theme = CatalogueTheme(provider_id=provider_id)
    _apply_theme(theme, data)
    session.add(theme)
    session.flush()
    audit.record(session, actor=actor, object_type="catalogue_theme", object_id=theme.id, action="created")
    return theme


def update_catalogue_theme(session: Session, actor: Any, theme_id: int, data: ThemeData) -> CatalogueTheme:
    theme = get_own_catalogue_theme(session, actor, theme_id)
    _check_theme(data)
    _apply_theme(theme, data)
    session.flush()
    audit.record(session, actor=actor, object_type="catalogue_theme", object_id=theme.id, action="updated")
    return theme


def remove_catalogue_theme(session: Session, actor: Any, theme_id: int) -> None:
    theme = get_own_catalogue_theme(session, actor, theme_id)
    session.delete(theme)
    session.flush()
    audit.record(session, actor=actor, object_type="catalogue_theme", object_id=theme_id, action="removed")
