"""The beneficiary's page in one read: the open request, the vouchers, the history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from portal.errors import N_, Forbidden
from portal.permissions import Permission, can
from vouchers.requests.models import Beneficiary, Voucher, VoucherRequest
from vouchers.requests.presenters import request_read_dicts, voucher_read_dict
from vouchers.requests.reads import request_reads, voucher_reads


@dataclass
class BeneficiaryOverview:
    has_draft: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    vouchers: list[dict[str, Any]] = field(default_factory=list)
    providers: dict[int, str] = field(default_factory=dict)

    @property
    def open_request(self) -> dict[str, Any] | None:
        return next((r for r in self.requests if r["status"] in ("submitted", "info_requested", "waitlisted")), None)

    @property
    def open_voucher(self) -> dict[str, Any] | None:
        return next((v for v in self.vouchers if v["status"] in ("approved", "in_progress")), None)


def beneficiary_overview(session: Session, actor: Any, *, today: date) -> BeneficiaryOverview:
    """Two statements (the requests, the vouchers with their usage and providers), and the fund's settings when a
    request's clock or appeal deadline needs them."""
    if not can(actor, Permission.REQUEST_CREATE):
        raise Forbidden(N_("Only beneficiaries can ask for a voucher."))
    own = {"user_id": actor.id}
    requests = request_reads(session, "of_user", lambda: select(VoucherRequest.id).join(
        Beneficiary, Beneficiary.id == VoucherRequest.beneficiary_id).where(Beneficiary.user_id == bindparam("user_id")),
        own, VoucherRequest.id.desc())
    vouchers = voucher_reads(session, "of_user", lambda: select(Voucher.id).join(
        Beneficiary, Beneficiary.id == Voucher.beneficiary_id).where(Beneficiary.user_id == bindparam("user_id")),
        own, Voucher.id.desc())
    return BeneficiaryOverview(
        has_draft=any(r.status == "draft" for r in requests),
        requests=request_read_dicts(session, [r for r in requests if r.status != "draft"], today=today),
        vouchers=[voucher_read_dict(v) for v in vouchers],
        providers={v.provider_id: v.provider_name for v in vouchers},
    )
