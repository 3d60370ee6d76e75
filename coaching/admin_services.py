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

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coaching.domain import REGION_CODES
from coaching.models import Claim, ClaimLine, Coach, CoachingSession, Provider, SessionSeat
from portal import audit
from portal.audit import AuditEntry
from portal.auth.models import User
from portal.auth.services import create_user, plausible_email
from portal.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from portal.fund_settings import rules_on
from portal.permissions import Permission, Role, can
from vouchers.models import Voucher
from vouchers.services.accounts import clean_enterprise_number, clean_iban

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
    language = data.admin_language or next((c for c in cleaned["languages"] if c in ("fr", "nl", "en")), "fr")
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


def providers_for_fund(session: Session, admin: Any) -> list[Provider]:
    """Every provider, listed ones first, then by name (a few hundred at most)."""
    _require(admin, Permission.ADMIN_PROVIDERS_MANAGE)
    return list(session.scalars(select(Provider).order_by(Provider.delisted_at.is_not(None), Provider.name,
                                                          Provider.id)))


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


# --- the audit trail, for the fund's audit view --------------------------------------

#: Object types written to the audit log today, offered as suggestions in the audit view's filter.
KNOWN_AUDIT_OBJECT_TYPES: Final[tuple[str, ...]] = (
    "bank_line", "bank_statement", "catalogue_theme", "claim", "coach", "coaching_session", "contact_point",
    "contribution", "dismissal_declaration", "employer", "offer", "payout_batch", "provider", "session_dispute",
    "session_seat", "user", "voucher", "voucher_request",
)


def audit_trail(session: Session, admin: Any, *, object_type: str | None = None, object_id: int | None = None,
                actor_id: int | None = None, limit: int = 50, before_id: int | None = None) -> list[AuditEntry]:
    """Audit entries, newest first, filtered by object (type, and id) and by the person who acted.

    Keyset-paged on the id (``before_id``), which the log's indexes on (object_type, object_id, id)
    and (actor_id, id) serve directly.
    """
    _require(admin, Permission.ADMIN_AUDIT_VIEW)
    query = select(AuditEntry)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(User.by_email(email))


# --- the claims queue, as the fund sees it ------------------------------------------------


@dataclass(frozen=True)
class ClaimedSession:
    session: CoachingSession
    seat: SessionSeat
    coach_name: str
    amount_cents: int | None  # the claim line's amount; None for a session that is not in the claim


@dataclass(frozen=True)
class ClaimDetail:
    """A claim with what the fund needs to decide it: its sessions with attendance and
    confirmation, and every dispute on the same voucher. Session notes are not included:
    they may reveal health and are for the provider and the beneficiary only."""

    claim: Claim
    provider: Provider
    voucher: Voucher
    beneficiary_name: str
    lines: list[ClaimedSession]
    disputes: list[ClaimedSession]
    claimed_before_cents: int


def claim_detail(session: Session, admin: Any, claim_id: int) -> ClaimDetail:
    _require(admin, Permission.ADMIN_CLAIMS_DECIDE)
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(N_("This claim does not exist."))
    provider = session.get(Provider, claim.provider_id)
    voucher = session.get(Voucher, claim.voucher_id)
    assert provider is not None and voucher is not None
    rows = session.execute(
        select(SessionSeat, CoachingSession, Coach.display_name, ClaimLine.amount_cents)
        .join(CoachingSession, CoachingSession.id == SessionSeat.session_id)
        .join(Coach, Coach.id == CoachingSession.coach_id)
        .outerjoin(ClaimLine, (ClaimLine.seat_id == SessionSeat.id) & (ClaimLine.claim_id == claim.id))
        .where(SessionSeat.voucher_id == voucher.id)
        .order_by(CoachingSession.starts_at, SessionSeat.id)).all()
    lines = [ClaimedSession(booked, seat, coach, amount) for seat, booked, coach, amount in rows if amount is not None]
    disputes = [ClaimedSession(booked, seat, coach, amount) for seat, booked, coach, amount in rows
                if seat.confirmation == "disputed"]
    before = session.scalar(select(func.coalesce(func.sum(Claim.amount_cents), 0)).where(
        Claim.voucher_id == voucher.id, Claim.id != claim.id, Claim.status.in_(("approved", "paid"))))
    user = voucher.beneficiary.user
    return ClaimDetail(claim, provider, voucher, f"{user.first_name} {user.last_name}".strip(), lines, disputes,
                       int(before or 0))


@dataclass(frozen=True)
class ClaimSummary:
    claim: Claim
    provider_name: str
    voucher_code: str
    session_count: int
    disputed_count: int


def claim_summaries(session: Session, admin: Any, claims: list[Claim]) -> list[ClaimSummary]:
    """One line per claim for the queue, in three queries whatever the page size."""
    _require(admin, Permission.ADMIN_CLAIMS_DECIDE)
    if not claims:
        return []
    claim_ids = [c.id for c in claims]
    names = dict(session.execute(select(Provider.id, Provider.name)
                                 .where(Provider.id.in_({c.provider_id for c in claims}))).all())
    codes = dict(session.execute(select(Voucher.id, Voucher.code)
                                 .where(Voucher.id.in_({c.voucher_id for c in claims}))).all())
    counts = dict(session.execute(select(ClaimLine.claim_id, func.count(ClaimLine.id))
                                  .where(ClaimLine.claim_id.in_(claim_ids)).group_by(ClaimLine.claim_id)).all())
    disputed = dict(session.execute(
        select(SessionSeat.voucher_id, func.count(SessionSeat.id))
        .where(SessionSeat.voucher_id.in_({c.voucher_id for c in claims}), SessionSeat.confirmation == "disputed")
        .group_by(SessionSeat.voucher_id)).all())
    return [ClaimSummary(c, names.get(c.provider_id, ""), codes.get(c.voucher_id, ""), counts.get(c.id, 0),
                         disputed.get(c.voucher_id, 0)) for c in claims]
