"""JSON API of the return-to-work coordinators (API.md): file a request for a member, follow the caseload.

A coordinator reads and answers one of their requests through the request's own endpoints
(``GET /voucher-requests/{id}``, ``POST /voucher-requests/{id}/complete``): another coordinator gets a 404."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from portal.api_views import endpoint
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.permissions import Permission
from vouchers.coordinators.emails import send_member_invitation
from vouchers.coordinators.schemas import (
    CaseloadPageSchema,
    CaseloadQuerySchema,
    CoordinatorRequestCreatedSchema,
    CoordinatorRequestCreateSchema,
)
from vouchers.coordinators.services.caseload import CaseloadFilters, list_caseload
from vouchers.coordinators.services.filing import Member, file_for_member
from vouchers.requests.services.requests import RequestData

blp = Blueprint("coordinators_api", __name__, description="Return-to-work coordinators of the mutual insurers")


def request_data(data: dict[str, Any]) -> RequestData:
    """The request's own fields of the body (the same as POST /voucher-requests)."""
    fields = {k: v for k, v in data.items() if k not in ("address", "beneficiary", "consent_on")}
    return RequestData(**fields, address=dict(data["address"]))


@endpoint(blp, "/coordinator/requests", method="POST", access=(Permission.COORDINATOR_FILE,),
          body=CoordinatorRequestCreateSchema, response=(201, CoordinatorRequestCreatedSchema),
          refusals={409: "The member already has an open voucher or request (the same codes as their own)",
                    422: "Incomplete, or not eligible: `error.reasons` lists why"})
def file_request(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """File a request on a member's behalf, with their consent. The same checks as the member's own request; its
    day starts the 45-day clock. The member is e-mailed an invitation in their language: the request becomes
    theirs when they accept it (registering with that address, or logging in with it). No account is made until
    then, and a typed NISS binds nothing."""
    member = Member(**data["beneficiary"])
    request = file_for_member(db.session, current_user, member, request_data(data), consent_on=data["consent_on"],
                              today=today_in_brussels(), now=utcnow())
    assert request.invitation is not None
    send_member_invitation(db.session, current_user, request.invitation)
    return request


@endpoint(blp, "/coordinator/requests", access=(Permission.COORDINATOR_CASELOAD,), query=CaseloadQuerySchema,
          response=(200, CaseloadPageSchema))
def caseload(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The requests the caller filed, newest first, paged with `next_cursor`: status, the 45-day clock, what the
    fund asked for, and once approved the voucher's status, hours used and balance."""
    items, next_cursor = list_caseload(db.session, current_user, CaseloadFilters(query["status"], query["joined"]),
                                       today=today_in_brussels(), limit=query["limit"], cursor=query["cursor"])
    return {"items": items, "next_cursor": next_cursor}
