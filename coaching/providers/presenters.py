"""The provider's view of vouchers, for its pages and its API alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from coaching.providers.services import offers as offer_services
from portal.pagination import decode_id_cursor, encode_cursor
from vouchers.requests.models import Voucher
from vouchers.requests.presenters import voucher_read_dict
from vouchers.requests.reads import VoucherRead, voucher_reads


def provider_voucher_row(actor: Any, voucher: VoucherRead) -> dict[str, Any]:
    """A voucher with its balance, the beneficiary's name and whether it waits for this provider's yes."""
    row = voucher_read_dict(voucher)
    row["beneficiary_name"] = voucher.beneficiary_name
    row["pending_acceptance"] = voucher.pending_provider_id == actor.provider_id
    return row


def provider_voucher_page(session: Session, actor: Any, *, status: str | None = None, limit: int = 50,
                          cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the provider's vouchers, newest first, and the cursor of the next page (None on the last): one
    statement, whatever the page holds."""
    key, chosen, params = offer_services.provider_voucher_ids(actor, status=status, limit=limit + 1,
                                                              before_id=decode_id_cursor(cursor))
    vouchers = voucher_reads(session, key, chosen, params, Voucher.id.desc())
    next_cursor = encode_cursor([vouchers[limit - 1].id]) if len(vouchers) > limit else None
    return [provider_voucher_row(actor, voucher) for voucher in vouchers[:limit]], next_cursor
