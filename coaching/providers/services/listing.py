"""The fund administrators' use cases: list a provider (and invite its first admin), delist one,
watch quality labels; read the claims queue as the fund sees it; search the audit trail.

Services check permissions and input, flush and never commit; the caller commits once
and queues the invitation e-mail (it needs the request context for the link).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final

from sqlalchemy import bindparam, false, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coaching.marketplace.domain import REGION_CODES
from coaching.providers.models import Provider
from portal import audit
from portal.auth.models import User
from portal.auth.services import create_user, plausible_email
from portal.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from portal.fund_settings import rules_on
from portal.permissions import Permission, Role, can
from portal.search import name_words
from vouchers.requests.services.accounts import clean_enterprise_number, clean_iban
from vouchers.search import ENTERPRISE, NAME, NUMBER, Search

#: The quality labels the fund accepts for listing a provider, kept as data.
#:
#: [D] The seed documents name no label (they mention AViQ and VDAB only as regional
#: bodies, not as labels), so this is our own short list, to be confirmed by the fund:
#: the two quality frameworks common among Belgian social-service and coaching providers
#: (ISO 9001, EQUASS), and recognition as a partner of a regional employment service
#: (VDAB in Flanders, Le Forem in Wallonia, Actiris in Brussels, ADG in the
#: German-speaking Community). The stored value is the label's name as shown here.
QUALITY_LABELS: Final[tuple[str, ...]] = (
    "ISO 9001",
    "EQUASS Assurance",
    "EQUASS Excellence",
    "VDAB partner",
    "Le Forem partner",
    "Actiris partner",
    "ADG partner",
)


#: Languages a provider can coach in (the portal's four).
PROVIDER_LANGUAGES: Final[Mapping[str, str]] = MappingProxyType(
    {"fr": "Français", "nl": "Nederlands", "de": "Deutsch", "en": "English"})


@dataclass(frozen=True)
class ProviderListing:
    """What the fund enters to list a provider (API.md ``POST /admin/providers``)."""

    name: str
    enterprise_number: str
    quality_label: str
    label_valid_until_on: date | None
    iban: str
    regions: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    admin_email: str = ""
    admin_name: str = ""
    admin_language: str | None = None


def _require(admin: Any, permission: Permission) -> None:
    if not can(admin, permission):
        raise Forbidden(N_("Only the fund's administrators may do this."))


def _codes(values: Iterable[str] | str | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split(",")
    seen: list[str] = []
    for value in values:
        code = str(value).strip()
        if code and code not in seen:
            seen.append(code)
    return seen


def _check_listing(data: ProviderListing, *, today: date) -> dict[str, Any]:
    """Every problem at once, by field, so a form can show them all."""
    problems: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {"name": (data.name or "").strip()}
    if not cleaned["name"]:
        problems["name"] = [N_("Please enter the provider's name.")]
    elif len(cleaned["name"]) > 200:
        problems["name"] = [N_("The name has at most 200 characters.")]
    for name, cleaner in (("enterprise_number", clean_enterprise_number), ("iban", clean_iban)):
        try:
            cleaned[name] = cleaner(getattr(data, name))
        except ValidationFailed as error:
            problems.update(error.fields)
    if data.quality_label not in QUALITY_LABELS:
        problems["quality_label"] = [N_("Choose one of the quality labels the fund accepts.")]
    cleaned["quality_label"] = data.quality_label
    if data.label_valid_until_on is None:
        problems["label_valid_until_on"] = [N_("Give the last day the quality label is valid.")]
    elif data.label_valid_until_on < today:
        problems["label_valid_until_on"] = [N_("This quality label has already expired.")]
    cleaned["label_valid_until_on"] = data.label_valid_until_on
    regions = _codes(data.regions)
    if not regions:
        problems["regions"] = [N_("Choose at least one region.")]
    elif any(code not in REGION_CODES for code in regions):
        problems["regions"] = [N_("Choose regions from the list.")]
    cleaned["regions"] = [code for code in REGION_CODES if code in regions]  # the list's order
    languages = _codes(data.languages)
    if not languages:
        problems["languages"] = [N_("Choose at least one language.")]
    elif any(code not in PROVIDER_LANGUAGES for code in languages):
        problems["languages"] = [N_("Choose languages from the list.")]
    cleaned["languages"] = [code for code in PROVIDER_LANGUAGES if code in languages]
    email = (data.admin_email or "").strip().lower()
    if not plausible_email(email) or len(email) > 254:
        problems["admin_email"] = [N_("Enter the e-mail address of the provider's administrator.")]
    cleaned["admin_email"] = email
    if data.admin_language is not None and data.admin_language not in PROVIDER_LANGUAGES:
        problems["admin_language"] = [N_("Choose languages from the list.")]
    if problems:
        raise ValidationFailed(N_("Some information is missing or not valid."), fields=problems)
    return cleaned


def list_provider(session: Session, admin: Any, data: ProviderListing, *, today: date,
                  now: datetime) -> tuple[Provider, User]:
    """Put a provider on the fund's list and create its first administrator's account.

    The account gets a random password nobody knows: the caller queues the invitation
    (a password-reset e-mail), whose link also confirms the address. 422 with every
    problem by field; 409 when the enterprise or the e-mail address is already known.
    """
    _require(admin, Permission.ADMIN_PROVIDERS_MANAGE)
    cleaned = _check_listing(data, today=today)
    taken = N_("This enterprise is already on the fund's list (or was delisted: its history is kept).")
    if session.scalar(select(Provider.id).where(Provider.enterprise_number == cleaned["enterprise_number"])):
        raise Conflict(taken, code="provider_exists", fields={"enterprise_number": [taken]})
    provider = Provider(name=cleaned["name"], enterprise_number=cleaned["enterprise_number"],
                        quality_label=cleaned["quality_label"], label_valid_until_on=cleaned["label_valid_until_on"],
                        iban=cleaned["iban"], regions=",".join(cleaned["regions"]),
                        languages=",".join(cleaned["languages"]), listed_at=now)
    session.add(provider)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # the same enterprise listed at the same moment by a colleague
        raise Conflict(taken, code="provider_exists", fields={"enterprise_number": [taken]}) from exc
    language = data.admin_language or next((c for c in cleaned["languages"] if c in ("fr", "nl", "de", "en")), "fr")
    first, _, last = (data.admin_name or "").strip().partition(" ")
    try:
        user = create_user(session, email=cleaned["admin_email"], password=secrets.token_urlsafe(24),
                           role=Role.PROVIDER_ADMIN, first_name=first, last_name=last, language=language,
                           provider_id=provider.id)
    except Conflict as error:
        raise Conflict(error.message, code=error.code,
                       fields={"admin_email": error.fields.get("email", [error.message])}) from error
    audit.record(session, actor=admin, object_type="provider", object_id=provider.id, action="listed",
                 to_state="listed", reason=f"{provider.quality_label} until {provider.label_valid_until_on}", now=now)
    audit.record(session, actor=admin, object_type="user", object_id=user.id, action="invited",
                 reason=f"first administrator of provider {provider.id}", now=now)
    return provider, user


def delist_provider(session: Session, admin: Any, provider_id: int, *, now: datetime,
                    reason: str | None = None) -> Provider:
    """Take a provider off the list. Its row, vouchers, sessions and claims stay as history;
    it no longer appears to beneficiaries. 409 if it is already delisted."""
    _require(admin, Permission.ADMIN_PROVIDERS_MANAGE)
    provider = session.get(Provider, provider_id)
    if provider is None:
        raise NotFound(N_("This provider does not exist."))
    session.refresh(provider, with_for_update=True)
    if provider.delisted_at is not None:
        raise Conflict(N_("This provider is already delisted."), code="already_delisted")
    provider.delisted_at = now
    audit.record(session, actor=admin, object_type="provider", object_id=provider.id, action="delisted",
                 from_state="listed", to_state="delisted", reason=(reason or "").strip() or None, now=now)
    session.flush()
    return provider


EDITABLE = ("quality_label", "label_valid_until_on", "iban", "regions", "languages")


def update_provider(session: Session, admin: Any, provider_id: int, changes: Mapping[str, Any], *,
                    now: datetime) -> Provider:
    """The fund corrects a listed provider: a renewed quality label, an IBAN, regions, languages. Any label
    date is taken, a past one too: a provider whose label has expired is out of search and of new requests
    until it is renewed. 422 with every problem by field."""
    _require(admin, Permission.ADMIN_PROVIDERS_MANAGE)
    provider = session.get(Provider, provider_id)
    if provider is None:
        raise NotFound(N_("This provider does not exist."))
    session.refresh(provider, with_for_update=True)
    problems: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    if "quality_label" in changes:
        if changes["quality_label"] not in QUALITY_LABELS:
            problems["quality_label"] = [N_("Choose one of the quality labels the fund accepts.")]
        cleaned["quality_label"] = changes["quality_label"]
    if "label_valid_until_on" in changes:
        if changes["label_valid_until_on"] is None:
            problems["label_valid_until_on"] = [N_("Give the last day the quality label is valid.")]
        cleaned["label_valid_until_on"] = changes["label_valid_until_on"]
    if "iban" in changes:
        try:
            cleaned["iban"] = clean_iban(changes["iban"])
        except ValidationFailed as error:
            problems.update(error.fields)
    for name, known in (("regions", REGION_CODES), ("languages", tuple(PROVIDER_LANGUAGES))):
        if name in changes:
            codes = _codes(changes[name])
            if not codes or any(code not in known for code in codes):
                problems[name] = [N_("Choose at least one, from the list.")]
            cleaned[name] = ",".join(code for code in known if code in codes)
    if problems:
        raise ValidationFailed(N_("Some information is missing or not valid."), fields=problems)
    before = {name: getattr(provider, name) for name in cleaned}
    for name, value in cleaned.items():
        setattr(provider, name, value)
    changed = [f"{name}: {before[name]} -> {value}" for name, value in cleaned.items() if before[name] != value]
    if changed:
        audit.record(session, actor=admin, object_type="provider", object_id=provider.id, action="updated",
                     reason="; ".join(changed)[:2000], now=now)
    session.flush()
    return provider


def providers_for_fund(session: Session, admin: Any, search: Search | None = None) -> list[Provider]:
    """Every provider, listed ones first, then by name (a few hundred at most); or those a search finds
    (``providers_found``)."""
    _require(admin, Permission.ADMIN_PROVIDERS_MANAGE)
    query = select(Provider)
    if search is not None:
        query = query.where(providers_found(*search.shape)).params(**search.params())
    return list(session.scalars(query.order_by(Provider.delisted_at.is_not(None), Provider.name, Provider.id)))


def providers_found(kind: str, words: int) -> Any:
    """The providers a search (``vouchers.search``) finds: by name (each word, in any case, with or without
    accents), enterprise number or number. A national number, a reference, a voucher code finds none."""
    value = bindparam("q_value")
    if kind == NAME:
        return name_words((Provider.name,), words)
    if kind == ENTERPRISE:
        return Provider.enterprise_number == value
    if kind == NUMBER:
        return Provider.id == value
    return false()


@dataclass(frozen=True)
class LabelWarning:
    provider: Provider
    valid_until_on: date
    days_left: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def label_expiry_overview(session: Session, today: date) -> list[LabelWarning]:
    """Listed providers whose quality label has expired or expires within the warning period
    (a dated setting, 60 days by default), soonest first."""
    horizon = today + timedelta(days=rules_on(session, today).label_warning_days)
    providers = session.scalars(
        select(Provider).where(Provider.delisted_at.is_(None), Provider.label_valid_until_on.is_not(None),
                               Provider.label_valid_until_on <= horizon)
        .order_by(Provider.label_valid_until_on, Provider.id))
    warnings = []
    for provider in providers:
        assert provider.label_valid_until_on is not None
        warnings.append(LabelWarning(provider, provider.label_valid_until_on,
                                     (provider.label_valid_until_on - today).days))
    return warnings
