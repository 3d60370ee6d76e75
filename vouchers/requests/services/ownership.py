"""Who owns voucher requests and vouchers, registered with the portal's permission module."""

from __future__ import annotations

from typing import Any

from portal.permissions import Role, owner_rule
from vouchers.requests.models import Voucher, VoucherRequest


@owner_rule(VoucherRequest)
def request_owner(user: Any, request_: VoucherRequest) -> bool:
    return user.role == Role.BENEFICIARY and request_.beneficiary.user_id == user.id


@owner_rule(Voucher)
def voucher_owner(user: Any, voucher: Voucher) -> bool:
    if user.role == Role.BENEFICIARY:
        return voucher.beneficiary.user_id == user.id
    if user.role in (Role.PROVIDER_ADMIN, Role.COACH):
        return user.provider_id is not None and user.provider_id in (voucher.provider_id, voucher.pending_provider_id)
    return False
