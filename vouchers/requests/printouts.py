"""Pages made for paper: the voucher and the fund's decision, each a sheet with a print button (static/css/print.css
leaves out the portal's header and footer when printing).

A person who reads with difficulty, or who has no printer of their own, can bring the page to their coach, a relative
or their mutual insurer's coordinator. The coordinator who filed the request may print them for the member.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, url_for
from flask_login import current_user

from coaching.providers.models import Provider
from portal.clock import today_in_brussels
from portal.db import db
from portal.permissions import Permission, Role, any_of, require
from vouchers.requests.models import VoucherRequest
from vouchers.requests.presenters import request_dict, voucher_dict
from vouchers.requests.services import requests as request_services
from vouchers.requests.services import vouchers as voucher_services

bp = Blueprint("printouts", __name__)

# The requests the fund has decided: only they have a decision to print.
DECIDED = ("approved", "waitlisted", "rejected")


@bp.get("/vouchers/<int:voucher_id>/print")
@require(any_of(Permission.VOUCHER_VIEW_OWN, Permission.COORDINATOR_CASELOAD))
def voucher(voucher_id: int):  # type: ignore[no-untyped-def]
    found = voucher_services.get_voucher(db.session, current_user, voucher_id)
    provider = db.session.get(Provider, found.provider_id)
    return render_template("vouchers/print/voucher.html", voucher=voucher_dict(db.session, found),
                           holder=found.beneficiary.user.display_name, provider_name=provider.name if provider else "",
                           today=today_in_brussels(),
                           back_url=_back_to_request(found.request_id) if current_user.role == Role.COORDINATOR
                           else url_for("vouchers.voucher_detail", voucher_id=found.id))


@bp.get("/requests/<int:request_id>/decision")
@require(any_of(Permission.REQUEST_VIEW_OWN, Permission.COORDINATOR_CASELOAD))
def decision(request_id: int):  # type: ignore[no-untyped-def]
    found = request_services.get_request(db.session, current_user, request_id)
    if found.status not in DECIDED:
        abort(404)
    data = request_dict(db.session, found, today=today_in_brussels(), with_timeline=False)
    voucher: dict[str, Any] | None = None
    if data["voucher_id"]:
        voucher = voucher_dict(db.session, voucher_services.get_voucher(db.session, current_user, data["voucher_id"]))
    provider = db.session.get(Provider, voucher["provider_id"] if voucher else found.provider_id) \
        if (voucher or found.provider_id) else None
    return render_template("vouchers/print/decision.html", voucher_request=data, voucher=voucher,
                           holder=_holder_name(found), provider_name=provider.name if provider else "",
                           back_url=_back_to_request(found.id))


def _holder_name(request: VoucherRequest) -> str:
    """The member's name, also while a request a coordinator filed waits for the member to join."""
    if request.beneficiary is not None:
        return request.beneficiary.user.display_name
    invitation = request.invitation
    return f"{invitation.first_name} {invitation.last_name}".strip() if invitation else ""


def _back_to_request(request_id: int) -> str:
    if current_user.role == Role.COORDINATOR:
        return url_for("coordinators.request_page", request_id=request_id)
    return url_for("vouchers.request_detail", request_id=request_id)
