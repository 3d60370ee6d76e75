"""Who owns voucher requests and vouchers, registered with the portal's permission module.

A request filed by a mutual insurer's coordinator is the member's once they accepted the invitation, and
stays in the caseload of the coordinator who filed it (only that one: another coordinator gets a 404)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import object_session

from portal.permissions import Role, owner_rule
from vouchers.requests.models import Voucher, VoucherRequest
from vouchers.requests.reads import RequestRead, VoucherRead


def _filed_by(user: Any, request_: VoucherRequest | None) -> bool:
    return request_ is not None and request_.coordinator_id is not None and request_.coordinator_id == user.id


@owner_rule(VoucherRequest)
def request_owner(user: Any, request_: VoucherRequest) -> bool:
    if user.role == Role.BENEFICIARY:
        return request_.beneficiary is not None and request_.beneficiary.user_id == user.id
    if user.role == Role.COORDINATOR:
        return _filed_by(user, request_)
    return False


@owner_rule(RequestRead)
def request_read_owner(user: Any, request_: RequestRead) -> bool:
    """The same rule for a request read as a row (``reads.py``)."""
    if user.role == Role.BENEFICIARY:
        return request_.owner_user_id is not None and request_.owner_user_id == user.id
    if user.role == Role.COORDINATOR:
        return request_.coordinator_id is not None and request_.coordinator_id == user.id
    return False


@owner_rule(Voucher)
def voucher_owner(user: Any, voucher: Voucher) -> bool:
    if user.role == Role.BENEFICIARY:
        return voucher.beneficiary.user_id == user.id
    if user.role in (Role.PROVIDER_ADMIN, Role.COACH):
        return _provider_holds(user, voucher)
    if user.role == Role.COORDINATOR:
        session = object_session(voucher)
        return session is not None and _filed_by(user, session.get(VoucherRequest, voucher.request_id))
    return False


@owner_rule(VoucherRead)
def voucher_read_owner(user: Any, voucher: VoucherRead) -> bool:
    """The same rule for a voucher read as a row (``reads.py``), which carries its holder and its filer."""
    if user.role == Role.BENEFICIARY:
        return voucher.owner_user_id == user.id
    if user.role in (Role.PROVIDER_ADMIN, Role.COACH):
        return _provider_holds(user, voucher)
    if user.role == Role.COORDINATOR:
        return voucher.filed_by is not None and voucher.filed_by == user.id
    return False


def _provider_holds(user: Any, voucher: Voucher | VoucherRead) -> bool:
    """The voucher is assigned to the user's provider, or waits for it to accept a change of provider."""
    return user.provider_id is not None and user.provider_id in (voucher.provider_id, voucher.pending_provider_id)
