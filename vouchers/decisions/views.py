"""The fund's pages for voucher requests: the decision queue and the decision page."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from coaching.providers.models import Provider
from portal import audit
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import Conflict, ValidationFailed
from portal.filters import Read
from portal.fund_settings import rules_on
from portal.mail import commit
from portal.permissions import Permission, require
from portal.web import form_post, saved
from vouchers.decisions.forms import (
    QUEUE_FILTERS,
    ROUTE_LABELS,
    STATUS_LABELS,
    DecisionForm,
)
from vouchers.decisions.presenters import queue_rows
from vouchers.decisions.services import (
    QueueFilters,
    list_requests_for_fund,
    queue_counts,
)
from vouchers.requests import domain
from vouchers.requests.models import Voucher, VoucherRequest
from vouchers.requests.presenters import request_dict
from vouchers.requests.reads import RequestRead
from vouchers.requests.services.registration import email_confirmed
from vouchers.requests.services.requests import (
    clock_for,
    decide_voucher_request,
    get_request,
)
from vouchers.search import read_search

bp = Blueprint("decisions", __name__, url_prefix="/admin")


DEFAULT_PAGE_SIZE = 50


@bp.get("/requests")
@require(Permission.ADMIN_REQUESTS_VIEW)
def queue():  # type: ignore[no-untyped-def]
    today = today_in_brussels()
    form = QUEUE_FILTERS.read(request.args)
    rows, next_cursor = [], None
    if form.valid():
        try:
            rows, next_cursor = list_requests_for_fund(
                db.session, current_user, _filters(form), today=today, cursor=request.args.get("cursor") or None,
                limit=current_app.config.get("ADMIN_QUEUE_PAGE_SIZE", DEFAULT_PAGE_SIZE),
                places=False)  # the page shows no waiting-list place: the statement reads no waiting list
        except ValidationFailed:
            form.form_errors.append(_("This page link is not valid any more. Start again from the first page."))
    return render_template("vouchers/admin/queue.html", **_queue_context(form, rows, next_cursor, today))


@bp.get("/requests/<int:request_id>")
@require(Permission.ADMIN_REQUESTS_VIEW)
def request_page(request_id: int):  # type: ignore[no-untyped-def]
    voucher_request = _load(request_id)
    # The page shows the person's national number, address and health situation: a read, logged.
    audit.record_read(db.session, actor=current_user, object_type="voucher_request", object_id=request_id,
                      now=utcnow())
    commit()
    return _render_request(voucher_request, DecisionForm())


@bp.post("/requests/<int:request_id>/decision")
@require(Permission.ADMIN_REQUESTS_DECIDE)
def decide(request_id: int):  # type: ignore[no-untyped-def]
    voucher_request = _load(request_id)
    form = DecisionForm()
    back = url_for(".request_page", request_id=request_id)
    return form_post(form, lambda: decide_voucher_request(db.session, current_user, request_id,
                                                          form.decision.data or "", form.reason.data,
                                                          today=today_in_brussels(), now=utcnow(),
                                                          medical_check_ok=form.medical_check()),
                     errors=(ValidationFailed,), flashed=(Conflict,), back=back,
                     done=lambda decided: saved(_decision_message(voucher_request), back),
                     again=lambda status: _render_request(voucher_request, form, status=status))


def _load(request_id: int) -> VoucherRequest:
    """The request, or 404; drafts are the beneficiary's own and never shown to the fund."""
    voucher_request = get_request(db.session, current_user, request_id)
    if voucher_request.status == "draft":
        abort(404)
    return voucher_request


def _filters(form: Read) -> QueueFilters:
    values = form.values
    return QueueFilters(status=values["status"] or None, route=values["route"] or None,
                        overdue=True if values["overdue"] else None, due_before=values["due_before"],
                        initiative=values["initiative"] or None,
                        insurer_code=int(values["insurer_code"]) if values["insurer_code"] else None,
                        search=read_search(values["q"]))


def _queue_context(form: Read, rows: list[RequestRead], next_cursor: str | None, today: date) -> dict[str, Any]:
    return {
        "form": form, "rows": queue_rows(db.session, rows, today), "counts": queue_counts(db.session, current_user, today=today),
        "rules": rules_on(db.session, today), "searched": bool(form.values["q"]),
        "next_url": next_cursor and url_for(".queue", **form.args(), cursor=next_cursor),
        "first_url": request.args.get("cursor") and url_for(".queue", **form.args()),
    }


def _render_request(voucher_request: VoucherRequest, form: DecisionForm, status: int = 200) -> tuple[str, int]:
    today = today_in_brussels()
    rules = rules_on(db.session, voucher_request.submitted_on or today)
    provider = db.session.get(Provider, voucher_request.provider_id) if voucher_request.provider_id else None
    voucher = db.session.scalar(select(Voucher).where(Voucher.request_id == voucher_request.id))
    return render_template(
        "vouchers/admin/request.html", form=form, request_=voucher_request, info=request_dict(
            db.session, voucher_request, today=today), clock=clock_for(voucher_request, today, rules), rules=rules,
        beneficiary_name=voucher_request.member_name, provider=provider, voucher=voucher,
        insurer_name=domain.INSURERS.get(voucher_request.insurer_code or 0), status_labels=STATUS_LABELS,
        route_labels=ROUTE_LABELS, appeal_months=rules_on(db.session, today).appeal_months,
        email_confirmed=email_confirmed(db.session, voucher_request.beneficiary_id),
    ), status


def _decision_message(voucher_request: VoucherRequest) -> str:
    if voucher_request.status == "approved":
        code = db.session.scalar(select(Voucher.code).where(Voucher.request_id == voucher_request.id))
        return _("Approved. Voucher %(code)s is issued.", code=code)
    if voucher_request.status == "waitlisted":
        return _("Approved onto the waiting list: the fund cannot cover this route-B voucher now.")
    if voucher_request.status == "rejected":
        return _("Rejected. The person is told the reasons and how to appeal to the labour court.")
    return _("Information asked. The 45-day clock stops until the person completes the request.")
