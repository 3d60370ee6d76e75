"""Vouchers as people see them: value, what is spent or booked, what is left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.db import lock_row
from portal.errors import N_, Conflict, NotFound, ValidationFailed
from portal.permissions import Permission, Role, can
from vouchers.requests.models import Voucher
from vouchers.requests.reads import VoucherRead, voucher_read
from vouchers.requests.services.notices import tell_expired
from vouchers.requests.usage import UsageTotals, usage_totals


@dataclass(frozen=True)
class VoucherFigures:
    value_cents: int
    spent_cents: int
    committed_cents: int
    individual_minutes_used: int
    collective_sessions_used: int

    @property
    def balance_cents(self) -> int:
        """What can still be booked: value less delivered and scheduled sessions."""
        return max(0, self.value_cents - self.spent_cents - self.committed_cents)


def voucher_figures(session: Session, voucher: Voucher) -> VoucherFigures:
    """Sums over the voucher's usage entries (coaching sessions logged and scheduled)."""
    return figures_from(voucher, usage_totals(session, voucher.id))


def figures_from(voucher: Voucher, totals: UsageTotals) -> VoucherFigures:
    return VoucherFigures(
        value_cents=voucher.value_cents,
        spent_cents=totals.spent_cents,
        committed_cents=totals.scheduled_cents,
        individual_minutes_used=totals.individual_minutes,
        collective_sessions_used=totals.collective_sessions,
    )


_VIEW_PERMISSIONS = {
    Role.BENEFICIARY: Permission.VOUCHER_VIEW_OWN,
    Role.FUND_ADMIN: Permission.ADMIN_REQUESTS_VIEW,
    Role.PROVIDER_ADMIN: Permission.PROVIDER_VOUCHERS_VIEW,
    Role.COACH: Permission.PROVIDER_VOUCHERS_VIEW,
    Role.COORDINATOR: Permission.COORDINATOR_CASELOAD,
}


def _visible_or_404(actor: Any, voucher: Any) -> None:
    permission = _VIEW_PERMISSIONS.get(Role(actor.role))
    if voucher is None or permission is None or not can(actor, permission, voucher):
        raise NotFound(N_("This voucher does not exist."))


def get_voucher(session: Session, actor: Any, voucher_id: int) -> Voucher:
    voucher = session.get(Voucher, voucher_id)
    _visible_or_404(actor, voucher)
    return voucher


def read_voucher(session: Session, actor: Any, voucher_id: int) -> VoucherRead:
    """The voucher with what it used, its providers' and holder's names (one statement), if the actor may see
    it; for showing, not for changing."""
    voucher = voucher_read(session, voucher_id)
    _visible_or_404(actor, voucher)
    assert voucher is not None
    return voucher


def request_provider_change(session: Session, actor: Any, voucher_id: int, provider_id: int, *,
                            now: datetime) -> Voucher:
    """Before the first session the beneficiary may move to another listed provider, which must accept."""
    from vouchers.requests.services.requests import listed_provider

    voucher = get_voucher(session, actor, voucher_id)
    if not can(actor, Permission.VOUCHER_CHANGE_PROVIDER, voucher):
        raise NotFound(N_("This voucher does not exist."))
    lock_row(session, voucher)
    if voucher.status != "approved" or voucher_figures(session, voucher).spent_cents > 0 \
            or usage_totals(session, voucher.id).scheduled_cents > 0:
        raise Conflict(N_("The provider can only be changed before the first session."), code="coaching_started")
    if listed_provider(session, provider_id) is None or provider_id == voucher.provider_id:
        raise ValidationFailed(N_("Choose another listed coaching provider."),
                               fields={"provider_id": [N_("Choose another listed coaching provider.")]})
    voucher.pending_provider_id = provider_id
    audit.record(session, actor=actor, object_type="voucher", object_id=voucher.id, action="provider_change_asked",
                 reason=f"provider {voucher.provider_id} -> {provider_id}", now=now)
    session.flush()
    _tell_change(session, voucher, provider_id)
    return voucher


def _tell_change(session: Session, voucher: Voucher, new_provider_id: int) -> None:
    """Both providers hear of it; the new one must accept the voucher on its page."""
    from coaching.providers.models import Provider
    from portal.notifications.services import notify, page, provider_admins

    old, new = session.get(Provider, voucher.provider_id), session.get(Provider, new_provider_id)
    names = {"old_provider": old.name if old else "", "new_provider": new.name if new else ""}
    for provider_id in (new_provider_id, voucher.provider_id):
        notify(session, provider_admins(session, provider_id), "provider_change_requested",
               link=page("providers.voucher", voucher_id=voucher.id), object_type="voucher", object_id=voucher.id,
               code=voucher.code, **names)


def accept_provider_change(session: Session, actor: Any, voucher_id: int, *, now: datetime) -> Voucher:
    """The new provider accepts: the voucher moves to it, and any earlier mix is dropped."""
    voucher = session.get(Voucher, voucher_id)
    if voucher is None or voucher.pending_provider_id is None or not can(
            actor, Permission.PROVIDER_VOUCHERS_ACCEPT) or actor.provider_id != voucher.pending_provider_id:
        raise NotFound(N_("This voucher does not exist."))
    lock_row(session, voucher)
    # Checked again now: a session may have been booked or delivered since the change was asked for.
    totals = usage_totals(session, voucher.id)
    if voucher.status != "approved" or totals.spent_cents > 0 or totals.scheduled_cents > 0:
        raise Conflict(N_("The provider can only be changed before the first session."), code="coaching_started")
    previous = voucher.provider_id
    voucher.provider_id = voucher.pending_provider_id
    voucher.pending_provider_id = None
    voucher.offer_id = voucher.individual_hours = voucher.collective_sessions = None
    voucher.individual_unit_cents = voucher.collective_unit_cents = None
    voucher.accepted_at = None
    audit.record(session, actor=actor, object_type="voucher", object_id=voucher.id, action="provider_changed",
                 reason=f"provider {previous} -> {voucher.provider_id}", now=now)
    session.flush()
    return voucher


def expire_vouchers(session: Session, *, today: date, now: datetime) -> list[int]:
    """Vouchers past their last valid day expire; the value not claimed is released to the fund, and the
    beneficiary is told.

    Safe to run twice: an expired voucher is no longer selected.
    """

    due = session.scalars(select(Voucher).where(Voucher.status.in_(("approved", "in_progress")),
                                                Voucher.valid_until_on < today).order_by(Voucher.id)).all()
    expired: list[int] = []
    for voucher in due:
        lock_row(session, voucher)
        if voucher.status not in ("approved", "in_progress") or voucher.valid_until_on >= today:
            continue
        previous = voucher.status
        voucher.status = "expired"
        release_undelivered(session, voucher, today=today, memo="expired")
        audit.record(session, actor=None, object_type="voucher", object_id=voucher.id, action="status_changed",
                     from_state=previous, to_state="expired", reason="end of validity", now=now)
        tell_expired(session, voucher)
        expired.append(voucher.id)
    session.flush()
    return expired


#: A voucher in one of these states books nothing more: what it did not deliver goes back to the fund.
ENDED_STATES = ("completed", "expired", "withdrawn")


def release_undelivered(session: Session, voucher: Voucher, *, today: date, memo: str) -> int:
    """A voucher ended, however it ended: its value still committed goes back to the fund, except the
    share of claims waiting for the fund's decision. Sessions delivered but not claimed yet stay payable:
    a later claim commits their value again (``coaching.claims``). Returns the cents released."""
    from vouchers.ledger.services import entries as ledger

    still_committed = ledger.committed_for_voucher(session, voucher.id) - _submitted_claims_cents(session, voucher.id)
    if still_committed > 0:
        ledger.post(session, account="committed", kind="voucher_released", amount_cents=-still_committed,
                    booked_on=today, voucher_id=voucher.id, memo=memo)
    return max(0, still_committed)


def _submitted_claims_cents(session: Session, voucher_id: int) -> int:
    from sqlalchemy import func

    from coaching.claims.models import Claim

    total = session.scalar(select(func.coalesce(func.sum(Claim.amount_cents), 0))
                           .where(Claim.voucher_id == voucher_id, Claim.status == "submitted"))
    return int(total or 0)
