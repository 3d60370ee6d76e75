"""The fund administrators' pages that follow payouts to the bank: one transfer (what the bank did with it, and a
return recorded by hand), and the bank's pain.002 status reports (upload, list, what each changed). The payout
batches themselves are ``banking.views``; the JSON API (``transfer_api``) runs the same services."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from coaching.claims.forms import CLAIM_STATUS_LABELS
from coaching.claims.models import Claim
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import Conflict
from portal.mail import commit
from portal.permissions import Permission, require
from portal.web import form_post, page_arg, refused, saved
from vouchers.banking import pain002
from vouchers.banking.payout_forms import (
    TRANSFER_STATUS_LABELS,
    ReturnForm,
    StatusReportForm,
)
from vouchers.banking.services import status_reports
from vouchers.banking.services import transfers as transfer_services

bp = Blueprint("payout_transfers", __name__, url_prefix="/admin/fund")


PAGE_SIZE = 50


def _labels() -> dict[str, Any]:
    return {"reason_words": pain002.REASON_WORDS, "claim_status_labels": CLAIM_STATUS_LABELS}


@bp.route("/payout-transfers/<int:transfer_id>", methods=["GET", "POST"])
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def transfer(transfer_id: int):  # type: ignore[no-untyped-def]
    """One transfer; while it may still fail, a form to record that the bank refused or returned it."""
    found = transfer_services.get_transfer(db.session, current_user, transfer_id)
    form = ReturnForm()

    def record() -> Any:
        return transfer_services.record_return(db.session, current_user, found.id, reason=form.reason.data or "",
                                               reason_code=form.reason_code.data, line_id=form.bank_line_id.data,
                                               today=today_in_brussels(), now=utcnow())

    def again(status: int) -> tuple[str, int]:
        return render_template("fund_admin/payouts/transfer.html", transfer=found, form=form,
                               claim=db.session.get(Claim, found.claim_id) if found.claim_id else None,
                               **_labels()), status

    return form_post(form, record, again=again, aliases={"line_id": "bank_line_id"},
                     done=lambda t: saved(_("The return is recorded. Transfer status: %(status)s.",
                                            status=TRANSFER_STATUS_LABELS[t.status]),
                                          url_for(".transfer", transfer_id=t.id)))


@bp.get("/payout-status-reports")
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def reports():  # type: ignore[no-untyped-def]
    return _render_reports(StatusReportForm())


def _render_reports(form: StatusReportForm, status: int = 200) -> tuple[str, int]:
    before = page_arg()
    rows = status_reports.list_reports(db.session, current_user, limit=PAGE_SIZE + 1, before_id=before)
    return render_template(
        "fund_admin/payouts/reports.html", form=form, reports=rows[:PAGE_SIZE],
        next_url=url_for(".reports", before=rows[PAGE_SIZE - 1].id) if len(rows) > PAGE_SIZE else None,
        first_url=before and url_for(".reports")), status


@bp.post("/payout-status-reports")
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def upload_report():  # type: ignore[no-untyped-def]
    form = StatusReportForm()
    if not form.validate_on_submit():
        return _render_reports(form, 422)
    try:
        result = status_reports.import_status_report(
            db.session, current_user, status_reports.read_upload(form.file.data), file_name=form.file.data.filename,
            today=today_in_brussels(), now=utcnow())
    except status_reports.InvalidStatusReport as error:
        db.session.rollback()
        form.file.errors = [_(error.template, **error.params)]
        return _render_reports(form, error.status)
    except Conflict as error:
        return _render_reports(form, refused(form, error))
    commit()
    report = result.report
    if result.duplicate:
        flash(_("This status report was already imported: nothing changed."), "info")
    else:
        flash(_("Status report imported: %(paid)s transfers paid, %(rejected)s refused, %(returned)s came back, "
                "%(unchanged)s unchanged.", paid=report.paid_count, rejected=report.rejected_count,
                returned=report.returned_count, unchanged=report.unchanged_count), "success")
    return redirect(url_for(".report", report_id=report.id))


@bp.get("/payout-status-reports/<int:report_id>")
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def report(report_id: int):  # type: ignore[no-untyped-def]
    found = status_reports.get_report(db.session, current_user, report_id)
    return render_template("fund_admin/payouts/report.html", report=found,
                           transfers=status_reports.transfers_told_by(db.session, found), **_labels())
