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
from portal.auth.schemas import ApiErrorSchema
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.mail import commit
from portal.pagination import decode_id_cursor, id_page
from portal.permissions import Permission, api_access
from portal.schema_fields import BEARER
from vouchers.search import read_search

blp = Blueprint("claims_api", __name__, description="Providers' claims for confirmed sessions, and the fund's decisions on them")

@blp.route("/provider/claims", methods=["POST"])
@api_access(Permission.CLAIM_SUBMIT)
@blp.arguments(ClaimCreateSchema)
@blp.response(201, ClaimSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="A session not confirmed, or already claimed")
@blp.doc(security=BEARER)
def submit_claim(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Claim confirmed sessions of one voucher; the amount is capped at the voucher value."""
    claim = claim_services.submit_claim(db.session, current_user, data["voucher_id"], data["session_ids"], now=utcnow())
    commit()
    return claim


@blp.route("/provider/claims", methods=["GET"])
@api_access(Permission.CLAIM_SUBMIT)
@blp.arguments(ClaimQuerySchema, location="query")
@blp.response(200, ClaimListSchema)
@blp.doc(security=BEARER)
def provider_claims(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The provider's own claims."""
    return _claim_page(query)


def _claim_page(query: dict[str, Any]) -> dict[str, Any]:
    after_id = decode_id_cursor(query["cursor"])
    rows = claim_services.list_claims(db.session, current_user, status=query["status"], limit=query["limit"] + 1,
                                      after_id=after_id, search=read_search(query.get("q")))
    page, next_cursor = id_page(rows, query["limit"])
    return {"items": page, "next_cursor": next_cursor}


@blp.route("/admin/claims", methods=["GET"])
@api_access(Permission.ADMIN_CLAIMS_DECIDE)
@blp.arguments(AdminClaimQuerySchema, location="query")
@blp.response(200, ClaimListSchema)
@blp.doc(security=BEARER)
def admin_claims(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The providers' claims, oldest first; `q` searches them."""
    return _claim_page(query)


@blp.route("/admin/claims/<int:claim_id>/approve", methods=["POST"])
@api_access(Permission.ADMIN_CLAIMS_DECIDE)
@blp.response(200, ClaimSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="Already decided")
@blp.doc(security=BEARER)
def approve_claim(claim_id: int):  # type: ignore[no-untyped-def]
    """Approve a claim: the committed voucher value becomes payable to the provider."""
    claim = claim_services.approve_claim(db.session, current_user, claim_id, today=today_in_brussels(), now=utcnow())
    commit()
    return claim


@blp.route("/admin/claims/<int:claim_id>/reject", methods=["POST"])
@api_access(Permission.ADMIN_CLAIMS_DECIDE)
@blp.arguments(RejectSchema)
@blp.response(200, ClaimSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="Already decided")
@blp.doc(security=BEARER)
def reject_claim(data: dict[str, Any], claim_id: int):  # type: ignore[no-untyped-def]
    """Reject a claim with a reason; its sessions can be claimed again."""
    claim = claim_services.reject_claim(db.session, current_user, claim_id, data["reason"], today=today_in_brussels(),
                                        now=utcnow())
    commit()
    return claim
