"""A coordinator's pages: the caseload (their home), filing a request for a member, one request with the fund's
question to answer, and a new invitation for a member who has not taken up their request yet."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from coaching.providers.models import Provider
from coaching.providers.services.providers import listed_providers
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import Conflict
from portal.forms import ActionForm, choices
from portal.i18n import long_date
from portal.mail import commit
from portal.permissions import Permission, require
from portal.web import PAGE_SIZE, expired_button, form_post, saved
from vouchers.coordinators.emails import send_member_invitation
from vouchers.coordinators.forms import (
    FILING_ALIASES,
    CaseloadFilterForm,
    CoordinatorAnswerForm,
    FilingForm,
)
from vouchers.coordinators.services import invitations
from vouchers.coordinators.services.caseload import (
    CaseloadFilters,
    list_caseload,
    open_case,
)
from vouchers.coordinators.services.filing import Member, file_for_member
from vouchers.requests.domain import INSURERS
from vouchers.requests.models import VoucherRequest
from vouchers.requests.services import answers
from vouchers.requests.services import requests as request_services
from vouchers.requests.services.requests import RequestData

bp = Blueprint("coordinators", __name__, url_prefix="/coordinator")


def _provider_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(Provider.id, Provider.name).where(Provider.id.in_(ids))).all())


@bp.get("/")
@require(Permission.COORDINATOR_CASELOAD)
def caseload():  # type: ignore[no-untyped-def]
    """The coordinator's home: the requests they filed, newest first, with what waits on whom."""
    form = CaseloadFilterForm(request.args)
    status = form.status.data if form.validate() and form.status.data else None
    rows, next_cursor = list_caseload(db.session, current_user, CaseloadFilters(status=status),
                                      today=today_in_brussels(), limit=PAGE_SIZE, cursor=request.args.get("cursor"))
    args = {"status": status} if status else {}
    return render_template(
        "coordinators/caseload.html", form=form, rows=rows, insurer=INSURERS.get(current_user.insurer_code or 0, ""),
        providers=_provider_names({r["provider_id"] for r in rows if r["provider_id"]}),
        next_url=next_cursor and url_for(".caseload", **args, cursor=next_cursor),
        first_url=request.args.get("cursor") and url_for(".caseload", **args))


def _request_data(form: FilingForm) -> RequestData:
    force_majeure = form.force_majeure.data == "yes"
    return RequestData(
        provider_id=form.provider_id.data or None, insurer_code=current_user.insurer_code, initiative="coordinator",
        force_majeure=force_majeure if form.force_majeure.data else None,
        contract_end_on=form.contract_end_on.data if force_majeure else None,
        incapacity_start_on=form.incapacity_start_on.data, benefits_scheme=form.benefits_scheme.data or None,
        in_approved_retraining=form.in_approved_retraining.data == "yes",
        in_professional_rehabilitation=form.in_professional_rehabilitation.data == "yes",
        planned_start_on=form.planned_start_on.data, planned_end_on=form.planned_end_on.data,
        address={name: (getattr(form, name).data or "").strip() or None
                 for name in ("street", "number", "box", "postcode", "municipality", "country")})


@bp.route("/requests/new", methods=["GET", "POST"])
@require(Permission.COORDINATOR_FILE)
def file_request():  # type: ignore[no-untyped-def]
    """The same request a member fills in, for a member, with the day of their consent: sent at once."""
    form = FilingForm()
    form.provider_id.choices = choices({0: _("Choose…"), **{p.id: p.name for p in listed_providers(db.session)}})
    if not form.is_submitted():
        form.consent_on.data = today_in_brussels()

    def file() -> VoucherRequest:
        member = Member(niss=form.niss.data or "", first_name=form.first_name.data or "",
                        last_name=form.last_name.data or "", email=form.email.data or "",
                        language=form.language.data or "fr")
        filed = file_for_member(db.session, current_user, member, _request_data(form), consent_on=form.consent_on.data,
                                today=today_in_brussels(), now=utcnow())
        assert filed.invitation is not None
        send_member_invitation(db.session, current_user, filed.invitation)
        return filed

    return form_post(
        form, file, aliases=FILING_ALIASES,
        done=lambda filed: saved(_("The request is sent and %(name)s is invited by e-mail to follow it. The fund "
                                   "decides by %(day)s.", name=filed.member_name,
                                   day=long_date(filed.decision_due_on)),
                                 url_for(".request_page", request_id=filed.id)),
        again=lambda status: (render_template("coordinators/file.html", form=form,
                                              insurer=INSURERS.get(current_user.insurer_code or 0, "")), status))


def _case_page(request_id: int, answer_form: CoordinatorAnswerForm | None, status: int = 200
               ) -> tuple[str, int]:
    voucher_request, case = open_case(db.session, current_user, request_id, today=today_in_brussels(), now=utcnow())
    commit()  # the read is in the audit log
    if answer_form is None and voucher_request.status == "info_requested":
        answer_form = CoordinatorAnswerForm()
    provider = db.session.get(Provider, voucher_request.provider_id) if voucher_request.provider_id else None
    steps = [entry for entry in request_services.timeline(db.session, voucher_request) if entry.to_state]
    return render_template("coordinators/request.html", case=case, provider=provider, answer_form=answer_form,
                           resend_form=ActionForm(), steps=steps, expires_at=invitations.expires_at(
                               voucher_request.invitation) if voucher_request.invitation else None), status


@bp.get("/requests/<int:request_id>")
@require(Permission.COORDINATOR_CASELOAD)
def request_page(request_id: int):  # type: ignore[no-untyped-def]
    """One request the coordinator filed: where it stands, the fund's question, the voucher once approved."""
    return _case_page(request_id, None)


@bp.post("/requests/<int:request_id>/answer")
@require(Permission.COORDINATOR_ANSWER)
def answer(request_id: int):  # type: ignore[no-untyped-def]
    """The coordinator answers the fund's question (with or for the member): the clock goes on."""
    voucher_request = request_services.get_request(db.session, current_user, request_id)
    form = CoordinatorAnswerForm()

    def send() -> VoucherRequest:
        typed = {"contract_end_on": form.contract_end_on.data, "incapacity_start_on": form.incapacity_start_on.data}
        changes: dict[str, Any] = {name: day for name, day in typed.items() if day is not None}
        return answers.complete_voucher_request(db.session, current_user, request_id,
                                                answers.corrected(voucher_request, changes), today=today_in_brussels(),
                                                now=utcnow(), answer=form.answer.data or "")

    return form_post(form, send, aliases={"eligibility": "answer"},
                     done=lambda r: saved(_("The fund has the answer and decides by %(day)s.",
                                            day=long_date(r.decision_due_on)),
                                          url_for(".request_page", request_id=request_id)),
                     again=lambda status: _case_page(request_id, form, status))


@bp.post("/requests/<int:request_id>/invite")
@require(Permission.COORDINATOR_FILE)
def invite_again(request_id: int):  # type: ignore[no-untyped-def]
    """A new invitation link for a member who has not taken up the request yet."""
    form = ActionForm()
    back = url_for(".request_page", request_id=request_id)

    def invite() -> Any:
        invitation = invitations.resend_invitation(db.session, current_user, request_id, now=utcnow())
        send_member_invitation(db.session, current_user, invitation)
        return invitation

    return form_post(form, invite, errors=(), flashed=(Conflict,), back=back, again=expired_button(back),
                     done=lambda invitation: saved(_("A new invitation is on its way to %(email)s.",
                                                     email=invitation.email), back))
