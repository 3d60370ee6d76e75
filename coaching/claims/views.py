"""Claims: a provider claims payment for confirmed sessions; the fund approves or rejects each claim."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from coaching.calendar.forms import ATTENDANCE_LABELS, CONFIRMATION_LABELS, KIND_LABELS
from coaching.claims import services as claim_services
from coaching.claims.forms import (
    CLAIM_FILTERS,
    CLAIM_STATUS_LABELS,
    ApproveForm,
    ClaimForm,
    RejectForm,
)
from coaching.claims.presenters import fund_claim_rows
from coaching.claims.reads import claim_rows, claimable_sessions
from portal import audit
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import Conflict, ValidationFailed
from portal.forms import choices
from portal.i18n import labels_in
from portal.mail import commit
from portal.permissions import Permission, require
from portal.web import PAGE_SIZE, form_post, page_arg, saved
from vouchers.requests.services import vouchers as voucher_services
from vouchers.search import read_search

bp = Blueprint("claims", __name__)

@bp.get("/admin/fund/claims")
@require(Permission.ADMIN_CLAIMS_DECIDE)
def fund_claims():  # type: ignore[no-untyped-def]
    form = CLAIM_FILTERS.read(request.args)
    rows: list[Any] = []
    next_url = None
    if form.valid():
        after = page_arg("after")
        found = claim_rows(db.session, status=form.values["status"] or None, limit=PAGE_SIZE + 1, after_id=after,
                           search=read_search(form.values["q"]))
        rows = fund_claim_rows(found[:PAGE_SIZE])
        if len(found) > PAGE_SIZE:
            next_url = url_for(".fund_claims", **form.args(), after=found[PAGE_SIZE - 1].id)
    return render_template("fund_admin/claims.html", form=form, rows=rows, next_url=next_url,
                           first_url=request.args.get("after") and url_for(".fund_claims", **form.args()),
                           searched=bool(form.values["q"]))


@bp.get("/admin/fund/claims/<int:claim_id>")
@require(Permission.ADMIN_CLAIMS_DECIDE)
def fund_claim(claim_id: int):  # type: ignore[no-untyped-def]
    detail = claim_services.claim_detail(db.session, current_user, claim_id)
    # The page shows a beneficiary's name and the reasons of disputes: a read of personal data, logged.
    audit.record_read(db.session, actor=current_user, object_type="claim", object_id=claim_id, now=utcnow())
    commit()
    return _render_claim(detail, ApproveForm(), RejectForm())


def _render_claim(detail: claim_services.ClaimDetail, approve_form: FlaskForm, reject_form: RejectForm,
                  status: int = 200) -> tuple[str, int]:
    return render_template("fund_admin/claim.html", d=detail, approve_form=approve_form, reject_form=reject_form,
                           claim_status_labels=labels_in(CLAIM_STATUS_LABELS), attendance_labels=labels_in(ATTENDANCE_LABELS),
                           confirmation_labels=labels_in(CONFIRMATION_LABELS), kind_labels=labels_in(KIND_LABELS)), status


@bp.post("/admin/fund/claims/<int:claim_id>/approve")
@require(Permission.ADMIN_CLAIMS_DECIDE)
def approve(claim_id: int):  # type: ignore[no-untyped-def]
    form, back = ApproveForm(), url_for(".fund_claim", claim_id=claim_id)
    # A claim decided meanwhile is flashed on its page; any other refusal goes to the error page.
    return form_post(form, lambda: claim_services.approve_claim(db.session, current_user, claim_id,
                                                                today=today_in_brussels(), now=utcnow()),
                     errors=(), flashed=(Conflict,), back=back,
                     done=lambda _c: saved(_("Claim %(id)s is approved: it will be paid with the next payout batch.",
                                             id=claim_id), back),
                     again=lambda status: _render_claim(claim_services.claim_detail(db.session, current_user, claim_id),
                                                        form, RejectForm(), status))


@bp.post("/admin/fund/claims/<int:claim_id>/reject")
@require(Permission.ADMIN_CLAIMS_DECIDE)
def reject(claim_id: int):  # type: ignore[no-untyped-def]
    form, back = RejectForm(), url_for(".fund_claim", claim_id=claim_id)
    return form_post(form, lambda: claim_services.reject_claim(db.session, current_user, claim_id, form.reason.data or "",
                                                               today=today_in_brussels(), now=utcnow()),
                     errors=(ValidationFailed,), flashed=(Conflict,), back=back,
                     done=lambda _c: saved(_("Claim %(id)s is rejected. Its sessions can be claimed again.",
                                             id=claim_id), back),
                     again=lambda status: _render_claim(claim_services.claim_detail(db.session, current_user, claim_id),
                                                        ApproveForm(), form, status))


def _claimable() -> dict[int, dict[str, Any]]:
    """Attended, confirmed and not yet claimed sessions, per voucher of this provider (one statement)."""
    groups: dict[int, dict[str, Any]] = {}
    for row in claimable_sessions(db.session, current_user.provider_id):
        group = groups.setdefault(row.voucher_id, {"id": row.voucher_id, "code": row.code, "name": row.name,
                                                   "rows": [], "form": None})
        group["rows"].append(row)
    return groups


def _claim_form(group: dict[str, Any] | None) -> ClaimForm:
    """The form of the voucher whose claim was sent; the others are shown from their rows alone (all ticked)."""
    form = ClaimForm()
    rows = group["rows"] if group else []
    form.session_ids.choices = choices({row.session_id: row.session_id for row in rows})
    return form


def _claims_page(groups: dict[int, dict[str, Any]], status: int = 200):  # type: ignore[no-untyped-def]
    claims = list(reversed(claim_rows(db.session, provider_id=current_user.provider_id, limit=200)))
    return render_template("coaching/staff/claims.html", groups=list(groups.values()), claims=claims), status


@bp.route("/provider/claims")
@require(Permission.CLAIM_SUBMIT)
def claims():  # type: ignore[no-untyped-def]
    """Confirmed sessions waiting to be claimed, per voucher, and the provider's claims."""
    return _claims_page(_claimable())


@bp.route("/provider/claims/<int:voucher_id>", methods=["POST"])
@require(Permission.CLAIM_SUBMIT)
def submit_claim(voucher_id: int):  # type: ignore[no-untyped-def]
    """Claim the chosen sessions of one voucher (each session once; capped at the voucher's value)."""
    voucher_services.get_voucher(db.session, current_user, voucher_id)  # someone else's: 404
    form = _claim_form(_claimable().get(voucher_id))

    def again(status: int):  # type: ignore[no-untyped-def]
        groups = _claimable()  # read again: a refusal undid what the service had flushed
        if voucher_id in groups:
            groups[voucher_id]["form"] = form
        else:
            flash(_(form.form_errors[0]) if form.form_errors else _("There is nothing to claim on this voucher."),
                  "error")
        return _claims_page(groups, status)

    return form_post(form, lambda: claim_services.submit_claim(db.session, current_user, voucher_id,
                                                               list(form.session_ids.data), now=utcnow()),
                     done=lambda _c: saved(_("The claim is sent to the fund."), url_for(".claims")), again=again)
