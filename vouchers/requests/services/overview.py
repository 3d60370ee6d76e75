"""The beneficiary's page in one read: the open request, the vouchers, the history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.providers.models import Provider
from vouchers.requests.models import Voucher, VoucherRequest
from vouchers.requests.presenters import request_dicts, voucher_dict
from vouchers.requests.services.requests import beneficiary_of


@dataclass
class BeneficiaryOverview:
    draft: VoucherRequest | None = None
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
    beneficiary = beneficiary_of(session, actor)
    requests = list(session.scalars(select(VoucherRequest).where(VoucherRequest.beneficiary_id == beneficiary.id)
                                    .order_by(VoucherRequest.id.desc())))
    vouchers = list(session.scalars(select(Voucher).where(Voucher.beneficiary_id == beneficiary.id)
                                    .order_by(Voucher.id.desc())))
    provider_ids = {r.provider_id for r in requests if r.provider_id} | {v.provider_id for v in vouchers}
    providers = {p.id: p.name for p in session.scalars(select(Provider).where(Provider.id.in_(provider_ids)))}
    return BeneficiaryOverview(
        draft=next((r for r in requests if r.status == "draft"), None),
        requests=request_dicts(session, [r for r in requests if r.status != "draft"], today=today),
        vouchers=[voucher_dict(session, v) for v in vouchers],
        providers=providers,
    )
