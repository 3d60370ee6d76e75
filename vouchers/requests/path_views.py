"""The short path to a voucher request (issue 16): five screens from the front page for a new person.

1. the front page;
2. the eligibility questions (``/eligibility``, step 1 of 4);
3. the account, with the address (``/register``, step 2);
4. the request on one page (``/request/send``, step 3): the coach, chosen with their languages, their places near the
   person's postcode, on site or online, and a link to the profile; the mutual insurer, who suggested the coaching,
   the planned dates, the confirmation;
5. the request's own page, which says what happens next (step 4).

The answers of step 1 wait in the visitor's session until the account exists, then in the draft request: they are
never asked again. The e-mail address is confirmed after sending; the fund decides nothing before
(``ensure_email_confirmed``). A beneficiary who is logged in already walks steps 1, 3 and 4.

The pages of steps 1 and 2 keep their routes in views.py (``vouchers.eligibility``, ``vouchers.register_beneficiary``,
``vouchers.request_start``), which call the functions here. The older four-step form (``/request/step/<n>``) still
answers, for links made before.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from coaching.marketplace.forms import REGION_LABELS
from coaching.marketplace.services.choice import providers_to_choose
from portal.auth.session_start import sign_in_fresh
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import DomainError
from portal.forms import choices
from portal.fund_settings import rules_on
from portal.i18n import long_date
from portal.mail import commit
from portal.permissions import Permission, can, require
from portal.web import attach_errors, form_post, refused, saved
from vouchers.employers.services.declarations import dismissal_declared_for
from vouchers.requests import domain
from vouchers.requests.emails import queue_registration_mail
from vouchers.requests.forms import (
    BeneficiaryRegistrationForm,
    EligibilityForm,
    PathRegistrationForm,
    SendRequestForm,
)
from vouchers.requests.identity_views import SENT_TO_KEY
from vouchers.requests.models import VoucherRequest
from vouchers.requests.reason_texts import reason_text
from vouchers.requests.services import accounts, registration
from vouchers.requests.services import requests as request_services
from vouchers.requests.services.requests import RequestData

bp = Blueprint("request_path", __name__)

#: The answers of step 1, kept in a visitor's session until their account exists (then in the draft request).
ANSWERS_KEY = "eligibility_answers"
ADDRESS = ("street", "number", "box", "postcode", "municipality", "country")


def yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def draft_data(draft: VoucherRequest | None) -> RequestData:
    if draft is None:
        return RequestData()
    return RequestData(
        provider_id=draft.provider_id, insurer_code=draft.insurer_code, initiative=draft.initiative,
        force_majeure=draft.force_majeure, contract_end_on=draft.contract_end_on,
        incapacity_start_on=draft.incapacity_start_on, benefits_scheme=draft.benefits_scheme,
        in_approved_retraining=draft.in_approved_retraining,
        in_professional_rehabilitation=draft.in_professional_rehabilitation,
        planned_start_on=draft.planned_start_on, planned_end_on=draft.planned_end_on,
        address={"street": draft.street, "number": draft.house_number, "box": draft.box, "postcode": draft.postcode,
                 "municipality": draft.municipality, "country": draft.country})


def situation_from(form: Any, data: RequestData) -> RequestData:
    """The answers typed on a situation form, put on ``data`` (a contract end only with force majeure)."""
    data.force_majeure = form.force_majeure.data == "yes"
    data.contract_end_on = form.contract_end_on.data if data.force_majeure else None
    data.incapacity_start_on = form.incapacity_start_on.data
    data.benefits_scheme = form.benefits_scheme.data or None
    data.in_approved_retraining = bool(form.in_approved_retraining.data)
    data.in_professional_rehabilitation = bool(form.in_professional_rehabilitation.data)
    return data


def situation_fields(data: RequestData) -> dict[str, Any]:
    """A situation form's starting values."""
    return {"force_majeure": yes_no(data.force_majeure), "contract_end_on": data.contract_end_on,
            "incapacity_start_on": data.incapacity_start_on, "benefits_scheme": data.benefits_scheme,
            "in_approved_retraining": data.in_approved_retraining,
            "in_professional_rehabilitation": data.in_professional_rehabilitation}


def address_of(form: Any) -> dict[str, str | None]:
    return {name: (getattr(form, name).data or "").strip() or None for name in ADDRESS}


def verdict_for(data: RequestData) -> domain.EligibilityVerdict:
    today = today_in_brussels()
    return domain.check_eligibility(request_services.eligibility_facts(data), today=today,
                                    rules=rules_on(db.session, today))


def _day(text: Any) -> date | None:
    return date.fromisoformat(text) if text else None


def kept_answers() -> RequestData | None:
    """The answers a visitor gave on step 1, if they are still in the session."""
    kept = session.get(ANSWERS_KEY)
    if not isinstance(kept, dict) or kept.get("force_majeure") is None:
        return None
    try:
        return RequestData(
            force_majeure=bool(kept["force_majeure"]), contract_end_on=_day(kept.get("contract_end_on")),
            incapacity_start_on=_day(kept.get("incapacity_start_on")), benefits_scheme=kept.get("benefits_scheme"),
            in_approved_retraining=bool(kept.get("in_approved_retraining")),
            in_professional_rehabilitation=bool(kept.get("in_professional_rehabilitation")))
    except (TypeError, ValueError):
        return None


def _keep_answers(data: RequestData) -> None:
    session[ANSWERS_KEY] = {
        "force_majeure": data.force_majeure, "benefits_scheme": data.benefits_scheme,
        "contract_end_on": data.contract_end_on.isoformat() if data.contract_end_on else None,
        "incapacity_start_on": data.incapacity_start_on.isoformat() if data.incapacity_start_on else None,
        "in_approved_retraining": data.in_approved_retraining,
        "in_professional_rehabilitation": data.in_professional_rehabilitation}


def _is_beneficiary() -> bool:
    """Someone who asks for a voucher for themself (a coordinator checks a member's answers, and files elsewhere)."""
    return bool(current_user.is_authenticated and can(current_user, Permission.REQUEST_CREATE))


# --- step 1: the eligibility questions -------------------------------------------------------------------------


def eligibility_page():  # type: ignore[no-untyped-def]
    """The public checker, and step 1 for whoever may ask for a voucher. Eligible answers go on: a visitor's to the
    session and the account page, a beneficiary's to their draft request and its last page. Anyone else (staff, an
    employer) only reads the verdict."""
    on_path = not current_user.is_authenticated or _is_beneficiary()
    draft = request_services.current_draft(db.session, current_user) if _is_beneficiary() else None
    declared = None
    if draft is not None and draft.force_majeure is not None:
        start = draft_data(draft)
    elif _is_beneficiary():  # nothing answered yet: start from the employer's declaration for the same NISS
        declared = dismissal_declared_for(db.session, current_user)
        start = RequestData(force_majeure=True, contract_end_on=declared.contract_end_on) if declared else RequestData()
    else:
        start = kept_answers() or RequestData()
    form = EligibilityForm(data=situation_fields(start))
    verdict = None
    if form.validate_on_submit():
        data = situation_from(form, draft_data(draft))
        verdict = verdict_for(data)
        if verdict.eligible and on_path:
            return _carry_answers(data)
    reasons = [reason_text(r) for r in verdict.reasons] if verdict else []
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template("vouchers/eligibility.html", form=form, verdict=verdict, reasons=reasons,
                           on_path=on_path, declared=declared), status


def _carry_answers(data: RequestData):  # type: ignore[no-untyped-def]
    if not current_user.is_authenticated:
        _keep_answers(data)
        return redirect(url_for("vouchers.register_beneficiary"))
    try:
        request_services.save_draft(db.session, current_user, data, step=2, now=utcnow())
    except DomainError as error:  # an open request already: it is followed on the person's page
        db.session.rollback()
        flash(_(error.message), "error")
        return redirect(url_for("vouchers.dashboard"))
    commit()
    return redirect(url_for("request_path.send"))


# --- step 2: the account ---------------------------------------------------------------------------------------


def registration_page():  # type: ignore[no-untyped-def]
    """A new person is logged in and goes on to the request; a known address is only written to (registration.py).
    After the eligibility answers the page also asks the address, and both go into the draft request."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    answers = kept_answers()
    verdict = verdict_for(answers) if answers else None
    if verdict is not None and not verdict.eligible:  # answered on another day, and too late now: asked again
        answers = verdict = None
    form = PathRegistrationForm() if answers else BeneficiaryRegistrationForm()
    data = accounts.BeneficiaryRegistration(
        email=form.email.data or "", password=form.password.data or "", first_name=form.first_name.data or "",
        last_name=form.last_name.data or "", niss=form.niss.data or "", language=form.language.data or "fr",
    )

    def register() -> registration.Registered:
        registered = registration.register(db.session, data, now=utcnow())
        if registered.created and answers is not None:
            answers.address = address_of(form)
            request_services.save_draft(db.session, registered.user, answers, step=3, now=utcnow())
        queue_registration_mail(db.session, registered)
        if registered.created:
            session.pop(ANSWERS_KEY, None)
            registered.user.last_login_at = utcnow()
        return registered

    def page(status: int):  # type: ignore[no-untyped-def]
        return render_template("vouchers/register_beneficiary.html", form=form, answers=answers,
                               verdict=verdict), status

    def again(status: int):  # type: ignore[no-untyped-def]
        if status == 422:  # the form's own checks failed: the service's are told with them
            _add_what_the_form_cannot_see(form, data)
        return page(status)

    def refusal(error: DomainError):  # type: ignore[no-untyped-def]
        attach_errors(form, error)
        return page(422)

    return form_post(form, register, errors=(DomainError,), refusal=refusal, again=again,
                     done=lambda registered: _registered(registered, carried=answers is not None))


def _add_what_the_form_cannot_see(form: Any, data: accounts.BeneficiaryRegistration) -> None:
    """The service's own checks (a password that is the e-mail address), told with the form's mistakes rather than
    after them: on the fields the form found nothing wrong with."""
    try:
        registration.check_form(data)
    except DomainError as error:
        for name, problems in error.fields.items():
            field = getattr(form, name, None)
            if field is not None and not field.errors:
                field.errors = [_(problem) for problem in problems]


def _registered(registered: registration.Registered, *, carried: bool):  # type: ignore[no-untyped-def]
    """After the commit: a known address was only written to; a new person is logged in."""
    if not registered.created:
        session[SENT_TO_KEY] = registered.email
        return redirect(url_for("identity.registration_sent"))
    sign_in_fresh(registered.user)  # a new session id: the one used before the account existed may be known
    flash(_("Welcome! Your account is created. We sent you an e-mail: open its link to confirm your address. "
            "You can fill in your request now; the fund decides it once your address is confirmed."), "success")
    return redirect(url_for("request_path.send" if carried else "vouchers.request_start"))


def request_start_page():  # type: ignore[no-untyped-def]
    """Where "start" or "continue my request" leads: step 1 until the situation is answered, then step 3."""
    draft = request_services.current_draft(db.session, current_user)
    if draft is None or draft.force_majeure is None:
        return redirect(url_for("vouchers.eligibility"))
    return redirect(url_for("request_path.send"))


# --- step 3: the request on one page ---------------------------------------------------------------------------


def _request_fields(draft: VoucherRequest) -> dict[str, Any]:
    return {"street": draft.street, "number": draft.house_number, "box": draft.box, "postcode": draft.postcode,
            "municipality": draft.municipality, "country": draft.country or "BE", "insurer_code": draft.insurer_code,
            "provider_id": draft.provider_id, "initiative": draft.initiative or "own",
            "planned_start_on": draft.planned_start_on, "planned_end_on": draft.planned_end_on}


def _address_known(draft: VoucherRequest) -> bool:
    return all((draft.street, draft.house_number, draft.postcode, draft.municipality))


@bp.route("/request/send", methods=["GET", "POST"])
@require(Permission.REQUEST_CREATE)
def send():  # type: ignore[no-untyped-def]
    """Step 3: the coach and the rest of the request on one page, every problem told at once, and sent."""
    draft = request_services.current_draft(db.session, current_user)
    if draft is None or draft.force_majeure is None:
        return redirect(url_for("vouchers.eligibility"))  # the situation is asked once, on step 1
    form = SendRequestForm(data=_request_fields(draft))
    postcode = (form.postcode.data or "").strip()  # as typed, or as the draft has it
    found = providers_to_choose(db.session, postcode=postcode, today=today_in_brussels())
    form.provider_id.choices = choices({p.id: p.name for p in found.providers})
    form.insurer_code.choices = choices({0: _("Choose…"), **domain.INSURERS})

    def submit() -> VoucherRequest:
        data = draft_data(draft)
        data.address = address_of(form)
        data.insurer_code = form.insurer_code.data or None
        data.provider_id, data.initiative = form.provider_id.data, form.initiative.data
        data.planned_start_on, data.planned_end_on = form.planned_start_on.data, form.planned_end_on.data
        return request_services.submit_voucher_request(db.session, current_user, data, today=today_in_brussels(),
                                                       now=utcnow(), draft_id=draft.id)

    def page(status: int):  # type: ignore[no-untyped-def]
        verdict = verdict_for(draft_data(draft))  # the answers of step 1 may have aged since: told here, not after
        address_errors = any(getattr(form, name).errors for name in ADDRESS)
        return render_template(
            "vouchers/request_send.html", form=form, draft=draft, providers={p.id: p for p in found.providers},
            region=str(REGION_LABELS[found.region]) if found.region else None, postcode=postcode,
            address_open=address_errors or not _address_known(draft),
            reasons=[reason_text(r) for r in verdict.reasons]), status

    def refusal(error: DomainError):  # type: ignore[no-untyped-def]
        if error.code == "not_eligible":  # told with the answers of step 1, below
            return page(error.status)
        return page(refused(form, error))

    return form_post(form, submit, errors=(DomainError,), refusal=refusal, again=page,
                     done=lambda sent: saved(_("Your request is sent. The fund decides within 45 days, by %(day)s.",
                                               day=long_date(sent.decision_due_on)),
                                             url_for("vouchers.request_detail", request_id=sent.id, sent=1)))
