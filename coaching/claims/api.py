from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from coaching.claims import services as claim_services
from coaching.claims.schemas import (
    AdminClaimQuerySchema,
    ClaimCreateSchema,
    ClaimListSchema,
    ClaimQuerySchema,
    ClaimSchema,
    RejectSchema,
)
from portal.api_views import endpoint
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.pagination import decode_id_cursor, id_page
from portal.permissions import Permission
from vouchers.search import read_search

blp = Blueprint("claims_api", __name__, description="Providers' claims for confirmed sessions, and the fund's decisions on them")

@endpoint(blp, "/provider/claims", method="POST", access=(Permission.CLAIM_SUBMIT,), body=ClaimCreateSchema,
          response=(201, ClaimSchema), refusals={409: "A session not confirmed, or already claimed"})
def submit_claim(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Claim confirmed sessions of one voucher; the amount is capped at the voucher value."""
    claim = claim_services.submit_claim(db.session, current_user, data["voucher_id"], data["session_ids"], now=utcnow())
    return claim


@endpoint(blp, "/provider/claims", access=(Permission.CLAIM_SUBMIT,), query=ClaimQuerySchema,
          response=(200, ClaimListSchema))
def provider_claims(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The provider's own claims."""
    return _claim_page(query)


def _claim_page(query: dict[str, Any]) -> dict[str, Any]:
    after_id = decode_id_cursor(query["cursor"])
    rows = claim_services.list_claims(db.session, current_user, status=query["status"], limit=query["limit"] + 1,
                                      after_id=after_id, search=read_search(query.get("q")))
    page, next_cursor = id_page(rows, query["limit"])
    return {"items": page, "next_cursor": next_cursor}


@endpoint(blp, "/admin/claims", access=(Permission.ADMIN_CLAIMS_DECIDE,), query=AdminClaimQuerySchema,
          response=(200, ClaimListSchema))
def admin_claims(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The providers' claims, oldest first; `q` searches them."""
    return _claim_page(query)


@endpoint(blp, "/admin/claims/<int:claim_id>/approve", method="POST", access=(Permission.ADMIN_CLAIMS_DECIDE,),
          response=(200, ClaimSchema), refusals={409: "Already decided"})
def approve_claim(claim_id: int):  # type: ignore[no-untyped-def]
    """Approve a claim: the committed voucher value becomes payable to the provider."""
    claim = claim_services.approve_claim(db.session, current_user, claim_id, today=today_in_brussels(), now=utcnow())
    return claim


@endpoint(blp, "/admin/claims/<int:claim_id>/reject", method="POST", access=(Permission.ADMIN_CLAIMS_DECIDE,),
          body=RejectSchema, response=(200, ClaimSchema), refusals={409: "Already decided"})
def reject_claim(data: dict[str, Any], claim_id: int):  # type: ignore[no-untyped-def]
    """Reject a claim with a reason; its sessions can be claimed again."""
    claim = claim_services.reject_claim(db.session, current_user, claim_id, data["reason"], today=today_in_brussels(),
                                        now=utcnow())
    return claim
