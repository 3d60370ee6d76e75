"""The fund administrators' pages for refunds of overpaid contributions: the list (with the contributions that were
paid too much), a proposal, and one refund to approve (another administrator), refuse, download or mark paid. The
JSON API (``refund_api``) runs the same services."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.auth.models import User
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import Forbidden
from portal.fund_account import fund_account_settings
from portal.permissions import Permission, require
from portal.web import FORM_ERRORS, form_post, page_arg, saved
from vouchers.banking.payout_forms import (
    REFUND_STATUS_LABELS,
    TRANSFER_STATUS_LABELS,
    ApproveRefundForm,
    MarkRefundPaidForm,
    RefundFilterForm,
    RefundProposalForm,
    RefuseRefundForm,
)
from vouchers.banking.services import refunds
from vouchers.employers.domain import format_structured_reference
from vouchers.employers.services.contributions import payment_sums
from vouchers.employers.views import CONTRIBUTION_LABELS

bp = Blueprint("refunds", __name__, url_prefix="/admin/fund")


PAGE_SIZE = 50


@bp.get("/refunds")
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def refund_list():  # type: ignore[no-untyped-def]
    form = RefundFilterForm(request.args)
    valid = form.validate()
    before = page_arg()
    rows = refunds.list_refunds(db.session, current_user, status=(form.status.data or None) if valid else None,
                                limit=PAGE_SIZE + 1, before_id=before)
    page = rows[:PAGE_SIZE]
    return render_template(
        "fund_admin/refunds/list.html", form=form, refunds=page,
        contexts={r.id: refunds.refund_context(db.session, r) for r in page},
        overpaid=refunds.overpaid_contributions(db.session, current_user), status_labels=REFUND_STATUS_LABELS,
        next_url=url_for(".refund_list", status=form.status.data or "", before=page[-1].id)
        if len(rows) > PAGE_SIZE else None,
        first_url=before and url_for(".refund_list", status=form.status.data or "")), 200 if valid else 422


@bp.route("/refunds/new", methods=["GET", "POST"])
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def propose():  # type: ignore[no-untyped-def]
    form = RefundProposalForm(data={"contribution_id": request.args.get("contribution_id", type=int)}
                              if request.method == "GET" else None)

    def make() -> Any:
        return refunds.propose_refund(db.session, current_user, form.contribution_id.data,
                                      amount_cents=form.amount.data, reason=form.reason.data, now=utcnow())

    def again(status: int) -> tuple[str, int]:
        return render_template("fund_admin/refunds/new.html", form=form,
                               overpaid=refunds.overpaid_contributions(db.session, current_user)), status

    return form_post(form, make, again=again, aliases={"amount_cents": "amount"},
                     done=lambda refund: saved(_("Refund %(id)s is proposed: another fund administrator approves "
                                                 "or refuses it.", id=refund.id),
                                               url_for(".refund", refund_id=refund.id)))


def _render_refund(refund_id: int, *, approve: ApproveRefundForm | None = None,
                   refuse: RefuseRefundForm | None = None, paid: MarkRefundPaidForm | None = None,
                   status: int = 200) -> tuple[str, int]:
    refund = refunds.get_refund(db.session, current_user, refund_id)
    context = refunds.refund_context(db.session, refund)
    people = {user.id: user for user in db.session.scalars(
        select(User).where(User.id.in_([i for i in (refund.proposed_by, refund.decided_by) if i])))}
    return render_template(
        "fund_admin/refunds/refund.html", refund=refund, **context, people=people,
        sums=payment_sums(db.session, refund.contribution_id),
        reference=format_structured_reference(context["contribution"].structured_reference),
        own_proposal=refund.proposed_by == current_user.id,
        approve_form=approve or ApproveRefundForm(formdata=None), refuse_form=refuse or RefuseRefundForm(formdata=None),
        paid_form=paid or MarkRefundPaidForm(formdata=None), status_labels=REFUND_STATUS_LABELS,
        transfer_status_labels=TRANSFER_STATUS_LABELS, contribution_labels=CONTRIBUTION_LABELS), status


@bp.get("/refunds/<int:refund_id>")
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def refund(refund_id: int):  # type: ignore[no-untyped-def]
    return _render_refund(refund_id)


def _decided(message: str, refund_id: int) -> Any:
    return saved(message, url_for(".refund", refund_id=refund_id))


@bp.post("/refunds/<int:refund_id>/approve")
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def approve(refund_id: int):  # type: ignore[no-untyped-def]
    form = ApproveRefundForm()
    settings = fund_account_settings(current_app.config)
    return form_post(
        form, lambda: refunds.approve_refund(
            db.session, current_user, refund_id, today=today_in_brussels(), now=utcnow(),
            debtor_iban=settings["FUND_IBAN"], debtor_name=settings["FUND_NAME"], debtor_bic=settings["FUND_BIC"],
            xsd_path=settings["PAIN001_XSD_PATH"]),
        errors=(*FORM_ERRORS, Forbidden),
        done=lambda r: _decided(_("Refund %(id)s is approved: download its file and upload it to the fund's bank.",
                                  id=r.id), r.id),
        again=lambda status: _render_refund(refund_id, approve=form, status=status))


@bp.post("/refunds/<int:refund_id>/refuse")
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def refuse(refund_id: int):  # type: ignore[no-untyped-def]
    form = RefuseRefundForm()
    return form_post(
        form, lambda: refunds.refuse_refund(db.session, current_user, refund_id, reason=form.reason.data, now=utcnow()),
        done=lambda r: _decided(_("Refund %(id)s is refused.", id=r.id), r.id),
        again=lambda status: _render_refund(refund_id, refuse=form, status=status))


@bp.post("/refunds/<int:refund_id>/mark-paid")
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def mark_paid(refund_id: int):  # type: ignore[no-untyped-def]
    form = MarkRefundPaidForm()
    return form_post(
        form, lambda: refunds.mark_refund_paid(db.session, current_user, refund_id, today=today_in_brussels(),
                                               now=utcnow()),
        done=lambda r: _decided(_("Refund %(id)s is marked paid: the overpaid amount went back to the employer.", id=r.id), r.id),
        again=lambda status: _render_refund(refund_id, paid=form, status=status))


@bp.get("/refunds/<int:refund_id>/pain.001.xml")
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def download(refund_id: int):  # type: ignore[no-untyped-def]
    found = refunds.get_refund(db.session, current_user, refund_id)
    if not found.xml:
        abort(404)
    return Response(found.xml, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{found.message_id}.xml"', "Cache-Control": "no-store"})
