"""Who hears about a request or a voucher, and where they act: the beneficiary (and, once filed by one,
the request's coordinator) for their file; the provider's administrators for a voucher assigned to them."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from coaching.providers.models import Provider
from portal.auth.models import User
from portal.notifications.services import (
    Link,
    fund_admins,
    notify,
    page,
    provider_admins,
)
from vouchers.requests.models import Voucher, VoucherRequest


def people_of(request: VoucherRequest) -> list[User]:
    """The person the file is about (once a coordinator's member has accepted the invitation), and the
    coordinator who filed it for them."""
    people = [request.beneficiary.user] if request.beneficiary is not None else []
    if request.coordinator is not None:
        people.append(request.coordinator)
    return people


#: What the fund writes to the member alone: a refusal's reasons may touch the medical check.
KEPT_FROM_COORDINATOR = frozenset({"reason"})


def member_name(request: VoucherRequest) -> str:
    if request.beneficiary is not None:
        return request.beneficiary.user.display_name
    return request.invitation.name if request.invitation is not None else ""


def tell_member_and_coordinator(session: Session, request: VoucherRequest | None, member: User | None, kind: str, *,
                                link: Link, object_type: str, object_id: int, key: str | None = None,
                                **params: Any) -> int:
    """Tell the member (``link``: their page) and, in words about the member, the coordinator who filed the request
    (their case page, which they can open; never the member's own pages)."""
    told = notify(session, [member], kind, link=link, object_type=object_type, object_id=object_id, key=key,
                  **params)
    if request is not None and request.coordinator is not None:
        shared = {name: value for name, value in params.items() if name not in KEPT_FROM_COORDINATOR}
        told += notify(session, [request.coordinator], kind,
                       link=page("coordinators.request_page", request_id=request.id), object_type="voucher_request",
                       object_id=request.id, key=key, member=member_name(request), **shared)
    return told


def tell_about_request(session: Session, request: VoucherRequest, kind: str, **params: Any) -> None:
    member = request.beneficiary.user if request.beneficiary is not None else None
    tell_member_and_coordinator(session, request, member, kind,
                                link=page("vouchers.request_detail", request_id=request.id),
                                object_type="voucher_request", object_id=request.id, **params)


def tell_submitted(session: Session, request: VoucherRequest) -> None:
    tell_about_request(session, request, "request_submitted", submitted_on=request.submitted_on,
                       decision_due_on=request.decision_due_on)


def tell_rejected(session: Session, request: VoucherRequest, *, appeal_until_on: date) -> None:
    tell_about_request(session, request, "request_rejected", reason=request.decision_reason or "",
                       appeal_until_on=appeal_until_on)


def tell_info_requested(session: Session, request: VoucherRequest) -> None:
    tell_about_request(session, request, "request_info_requested", question=request.decision_reason or "")


def tell_waitlisted(session: Session, request: VoucherRequest) -> None:
    tell_about_request(session, request, "request_waitlisted")


def tell_answered(session: Session, request: VoucherRequest) -> None:
    notify(session, fund_admins(session), "request_answered",
           link=page("decisions.request_page", request_id=request.id), object_type="voucher_request",
           object_id=request.id, number=request.id)


def tell_issued(session: Session, request: VoucherRequest, voucher: Voucher) -> None:
    """The beneficiary learns the decision; the chosen provider learns it has a voucher to accept."""
    provider = session.get(Provider, voucher.provider_id)
    provider_name = provider.name if provider is not None else ""
    tell_member_and_coordinator(session, request, request.beneficiary.user, "request_approved",
                                link=page("vouchers.voucher_detail", voucher_id=voucher.id), object_type="voucher",
                                object_id=voucher.id, code=voucher.code, value_cents=voucher.value_cents,
                                valid_from_on=voucher.valid_from_on, valid_until_on=voucher.valid_until_on,
                                provider=provider_name)
    notify(session, provider_admins(session, voucher.provider_id), "voucher_assigned",
           link=page("providers.voucher", voucher_id=voucher.id), object_type="voucher", object_id=voucher.id,
           code=voucher.code, beneficiary=request.beneficiary.user.display_name,
           valid_until_on=voucher.valid_until_on)


def tell_expired(session: Session, voucher: Voucher) -> None:
    """The voucher's last valid day has passed: its beneficiary (and coordinator) learn it is over."""
    tell_member_and_coordinator(session, session.get(VoucherRequest, voucher.request_id), voucher.beneficiary.user,
                                "voucher_expired", key=f"voucher-expired-{voucher.id}",
                                link=page("vouchers.voucher_detail", voucher_id=voucher.id), object_type="voucher",
                                object_id=voucher.id, code=voucher.code, valid_until_on=voucher.valid_until_on)


def tell_expiring(session: Session, voucher: Voucher, *, balance_cents: int) -> int:
    """30 days before the end, while value is left: the holder (and the coordinator who filed the request)."""
    return tell_member_and_coordinator(
        session, session.get(VoucherRequest, voucher.request_id), voucher.beneficiary.user, "voucher_expiring",
        key=f"voucher-expiring-{voucher.id}", link=page("vouchers.voucher_detail", voucher_id=voucher.id),
        object_type="voucher", object_id=voucher.id, code=voucher.code, valid_until_on=voucher.valid_until_on,
        balance_cents=balance_cents)
