"""Vouchers as people see them: value, what is spent or booked, what is left."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from portal.errors import N_, NotFound
from portal.permissions import Permission, Role, can
from vouchers.models import Voucher


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
    from coaching.usage import usage_totals

    totals = usage_totals(session, voucher.id)
    return VoucherFigures(
        value_cents=voucher.value_cents,
        spent_cents=totals.spent_cents,
        committed_cents=totals.scheduled_cents,
        individual_minutes_used=totals.individual_minutes,
        collective_sessions_used=totals.collective_sessions,
    )


def get_voucher(session: Session, actor: Any, voucher_id: int) -> Voucher:
    voucher = session.get(Voucher, voucher_id)
    permission = {
        Role.BENEFICIARY: Permission.VOUCHER_VIEW_OWN,
        Role.FUND_ADMIN: Permission.ADMIN_REQUESTS_VIEW,
        Role.PROVIDER_ADMIN: Permission.PROVIDER_VOUCHERS_VIEW,
        Role.COACH: Permission.PROVIDER_VOUCHERS_VIEW,
    }.get(Role(actor.role))
    if voucher is None or permission is None or not can(actor, permission, voucher):
        raise NotFound(N_("This voucher does not exist."))
    return voucher
