"""The provider's view of vouchers, for its pages and its API alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from coaching.providers.services import offers as offer_services
from portal.pagination import decode_id_cursor, encode_cursor
from vouchers.requests.models import Voucher
from vouchers.requests.presenters import voucher_dicts


def provider_voucher_rows(session: Session, actor: Any, vouchers: list[Voucher]) -> list[dict[str, Any]]:
    """Each voucher with its balance, the beneficiary's name and whether it waits for this provider's yes."""
    rows = voucher_dicts(session, vouchers)
    for row, voucher in zip(rows, vouchers, strict=True):
        user = voucher.beneficiary.user
        row["beneficiary_name"] = f"{user.first_name} {user.last_name}".strip()
        row["pending_acceptance"] = voucher.pending_provider_id == actor.provider_id
    return rows


def provider_voucher_page(session: Session, actor: Any, *, status: str | None = None, limit: int = 50,
                          cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the provider's vouchers, newest first, and the cursor of the next page (None on the last)."""
    vouchers = offer_services.provider_vouchers(session, actor, status=status, limit=limit + 1,
                                                before_id=decode_id_cursor(cursor))
    next_cursor = encode_cursor([vouchers[limit - 1].id]) if len(vouchers) > limit else None
    return provider_voucher_rows(session, actor, vouchers[:limit]), next_cursor
