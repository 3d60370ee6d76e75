"""Registration pages for beneficiaries and employers."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    jsonify,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from coaching.calendar.services import seats
from coaching.marketplace.domain import region_for_postcode
from coaching.providers.models import Provider
from coaching.providers.services.providers import (
    listed_provider_names,
    listed_providers,
)
from portal.auth.ratelimits import registration_limits
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import DomainError
from portal.forms import choices
from portal.i18n import long_date
from portal.permissions import Permission, Role, any_of, require
from portal.web import form_post, saved
from vouchers.employers.company_access import emails as employer_access_emails
from vouchers.employers.company_access import registration as employer_registration
from vouchers.employers.services.declarations import dismissal_declared_for
from vouchers.requests import domain
from vouchers.requests import path_views as path
from vouchers.requests.forms import (
    AnswerForm,
    ChangeProviderForm,
    CloseAccountForm,
    CoachingForm,
    ConfirmForm,
    DetailsForm,
    EmployerRegistrationForm,
    GiveUpVoucherForm,
    SituationForm,
    WithdrawForm,
)
from vouchers.requests.models import VoucherRequest
from vouchers.requests.presenters import request_dict, voucher_read_dict
from vouchers.requests.reads import VoucherRead
from vouchers.requests.reason_texts import reason_text
from vouchers.requests.services import answers, privacy
from vouchers.requests.services import requests as request_services
from vouchers.requests.services import vouchers as voucher_services
from vouchers.requests.services.overview import beneficiary_overview
from vouchers.requests.services.requests import RequestData

bp = Blueprint("vouchers", __name__)


@bp.route("/register", methods=["GET", "POST"])
@registration_limits
def register_beneficiary():  # type: ignore[no-untyped-def]
    """Step 2 of the short path to a request (path_views.py)."""
    return path.registration_page()


@bp.route("/register/employer", methods=["GET", "POST"])
@registration_limits
def register_employer():  # type: ignore[no-untyped-def]
    """The same answer whether or not the address or the company is known (company_access/registration.py)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = EmployerRegistrationForm()

    def register() -> str:
        data = employer_registration.EmployerRegistration(
            email=form.email.data or "", password=form.password.data or "",
            company_name=form.company_name.data or "", enterprise_number=form.enterprise_number.data or "",
            onss_number=form.onss_number.data or "", address=form.address.data or "", phone=form.phone.data or "",
            iban=form.iban.data or "", first_name=form.first_name.data or "", last_name=form.last_name.data or "",
            language=form.language.data or "fr",
        )
        registered = employer_registration.register_employer(db.session, data, now=utcnow())
        employer_access_emails.queue_registration_mail(db.session, registered)
        return data.email.strip()

    # Every refusal is a 422: the registration limits count only the posts that wrote an e-mail (< 400).
    return form_post(form, register, errors=(DomainError,), refusal_status=422,
                     done=lambda email: saved(_("Thank you. We sent an e-mail to %(email)s: open its link to confirm "
                                                "your address, then log in. The fund then sends a letter with a code "
                                                "to your company's registered office.", email=email),
                                              url_for("auth.login")),
                     again=lambda status: (render_template("vouchers/register_employer.html", form=form), status))


WIZARD_STEPS = (1, 2, 3, 4)


@bp.route("/eligibility", methods=["GET", "POST"])
def eligibility():  # type: ignore[no-untyped-def]
    """The public checker, and step 1 of the short path to a request (path_views.py)."""
    return path.eligibility_page()


def _step_form(step: int, draft: VoucherRequest | None, declared=None):  # type: ignore[no-untyped-def]
    data = path.draft_data(draft)
    if step == 1 and declared is not None:  # only a starting point: the person can change it
        data.force_majeure, data.contract_end_on = True, declared.contract_end_on
    if step == 1:
        return SituationForm(data=path.situation_fields(data))
    if step == 2:
        form = DetailsForm(data={**{k: v for k, v in data.address.items() if v}, "insurer_code": data.insurer_code})
        form.insurer_code.choices = choices({0: _("Choose…"), **domain.INSURERS})
        return form
    if step == 3:
        form = CoachingForm(data={"provider_id": data.provider_id, "initiative": data.initiative or "own",
                                  "planned_start_on": data.planned_start_on, "planned_end_on": data.planned_end_on})
        region = region_for_postcode(data.address.get("postcode") or "")
        providers = listed_providers(db.session, region=region) or listed_providers(db.session)
        form.provider_id.choices = choices({p.id: p.name for p in providers})
        return form
    return ConfirmForm()


def _merge(step: int, form, draft: VoucherRequest | None) -> RequestData:  # type: ignore[no-untyped-def]
    data = path.draft_data(draft)
    if step == 1:
        path.situation_from(form, data)
    elif step == 2:
        data.address = path.address_of(form)
        data.insurer_code = form.insurer_code.data or None
    elif step == 3:
        data.provider_id = form.provider_id.data
        data.initiative = form.initiative.data
        data.planned_start_on = form.planned_start_on.data
        data.planned_end_on = form.planned_end_on.data
    return data


@bp.route("/request", methods=["GET"])
@require(Permission.REQUEST_CREATE)
def request_start():  # type: ignore[no-untyped-def]
    return path.request_start_page()


@bp.route("/request/step/<int:step>", methods=["GET", "POST"])
@require(Permission.REQUEST_CREATE)
def request_step(step: int):  # type: ignore[no-untyped-def]
    """A guided form in short steps; each step is saved as a draft before moving on."""
    if step not in WIZARD_STEPS:
        abort(404)
    draft = request_services.current_draft(db.session, current_user)
    if step > 1 and (draft is None or draft.draft_step < step):
        return redirect(url_for("vouchers.request_step", step=draft.draft_step if draft else 1))
    # Nothing answered yet: start from the employer's declaration for the same NISS, if there is one.
    declared = dismissal_declared_for(db.session, current_user) if step == 1 and draft is None else None
    form = _step_form(step, draft, declared)

    def page(status: int) -> tuple[str, int]:
        summary = _summary(draft) if step == 4 else None
        return render_template("vouchers/request_step.html", step=step, form=form, draft=draft, summary=summary,
                               reasons=[], declared=declared), status

    if step == 4:  # the summary, sent to request_submit
        return page(200)

    def save() -> domain.EligibilityVerdict | None:
        data = _merge(step, form, draft)
        verdict = path.verdict_for(data) if step == 1 else None
        request_services.save_draft(db.session, current_user, data, step=step + 1 if verdict is None
                                    or verdict.eligible else step, now=utcnow())
        return verdict

    def next_step(verdict: domain.EligibilityVerdict | None):  # type: ignore[no-untyped-def]
        if verdict is not None and not verdict.eligible:  # saved as answered, and told why not
            reasons = [reason_text(r) for r in verdict.reasons]
            return render_template("vouchers/request_step.html", step=step, form=form, draft=draft,
                                   reasons=reasons), 422
        return redirect(url_for("vouchers.request_step", step=step + 1))

    # A refusal (an open request already) is followed on the person's page.
    return form_post(form, save, errors=(), flashed=(DomainError,), back=url_for("vouchers.dashboard"),
                     done=next_step, again=page)


def _summary(draft: VoucherRequest | None) -> dict[str, object] | None:
    if draft is None:
        return None
    provider = db.session.get(Provider, draft.provider_id) if draft.provider_id else None
    return {"draft": draft, "provider": provider, "insurer": domain.INSURERS.get(draft.insurer_code or 0)}


@bp.route("/request/submit", methods=["POST"])
@require(Permission.REQUEST_CREATE)
def request_submit():  # type: ignore[no-untyped-def]
    form = ConfirmForm()
    draft = request_services.current_draft(db.session, current_user)
    if draft is None:
        return redirect(url_for("vouchers.request_step", step=1))
    return form_post(
        form, lambda: request_services.submit_voucher_request(db.session, current_user, path.draft_data(draft),
                                                              today=today_in_brussels(), now=utcnow(),
                                                              draft_id=draft.id),
        errors=(DomainError,),
        done=lambda sent: saved(_("Your request is sent. The fund decides within 45 days, by %(day)s.",
                                  day=long_date(sent.decision_due_on)),
                                url_for("vouchers.request_detail", request_id=sent.id)),
        again=lambda status: (render_template("vouchers/request_step.html", step=4, form=form, draft=draft,
                                              summary=_summary(draft), reasons=[]), status))


@bp.route("/my")
@require(Permission.REQUEST_VIEW_OWN)
def dashboard():  # type: ignore[no-untyped-def]
    """The beneficiary's page: where the request stands, the voucher and its balance."""
    today = today_in_brussels()
    overview = beneficiary_overview(db.session, current_user, today=today)
    return render_template("vouchers/dashboard.html", overview=overview, today=today)


@bp.route("/requests/<int:request_id>")
@require(any_of(Permission.REQUEST_VIEW_OWN, Permission.COORDINATOR_CASELOAD))
def request_detail(request_id: int):  # type: ignore[no-untyped-def]
    """The request's page; its notices link here, so the coordinator who filed it is sent to theirs."""
    request = request_services.get_request(db.session, current_user, request_id)
    if current_user.role == Role.COORDINATOR:
        return redirect(url_for("coordinators.request_page", request_id=request.id))
    return _request_page(request, None)


def _request_page(request: VoucherRequest, answer_form: AnswerForm | None, status: int = 200):  # type: ignore[no-untyped-def]
    if answer_form is None and request.status == "info_requested":
        answer_form = AnswerForm(contract_end_on=request.contract_end_on,
                                 incapacity_start_on=request.incapacity_start_on)
    return render_template("vouchers/request_detail.html",
                           voucher_request=request_dict(db.session, request, today=today_in_brussels()),
                           provider=db.session.get(Provider, request.provider_id) if request.provider_id else None,
                           withdraw_form=WithdrawForm(), answer_form=answer_form, filed_by=request.coordinator,
                           consent_on=request.consent_on), status


@bp.route("/requests/<int:request_id>/answer", methods=["POST"])
@require(Permission.REQUEST_ANSWER)
def request_answer(request_id: int):  # type: ignore[no-untyped-def]
    """The beneficiary answers the fund's question (and may correct a date): the clock goes on."""
    request = request_services.get_request(db.session, current_user, request_id)
    form = AnswerForm()

    def answer() -> VoucherRequest:
        typed = {"contract_end_on": form.contract_end_on.data, "incapacity_start_on": form.incapacity_start_on.data}
        changes = {name: day for name, day in typed.items() if day is not None}  # a blank date keeps its value
        return answers.complete_voucher_request(db.session, current_user, request_id,
                                                answers.corrected(request, changes), today=today_in_brussels(),
                                                now=utcnow(), answer=form.answer.data or "")

    return form_post(form, answer, aliases={"eligibility": "answer"},
                     done=lambda r: saved(_("Thank you: the fund has your answer and decides by %(day)s.",
                                            day=long_date(r.decision_due_on)),
                                          url_for("vouchers.request_detail", request_id=request_id)),
                     again=lambda status: _request_page(request, form, status))


@bp.route("/requests/<int:request_id>/withdraw", methods=["POST"])
@require(Permission.REQUEST_WITHDRAW)
def request_withdraw(request_id: int):  # type: ignore[no-untyped-def]
    form = WithdrawForm()
    dashboard = url_for("vouchers.dashboard")
    # A bare button: a post that fails its check (an expired token) only goes back.
    return form_post(form, lambda: request_services.withdraw_voucher_request(db.session, current_user, request_id,
                                                                             now=utcnow(),
                                                                             reason=form.reason.data or None),
                     errors=(), done=lambda withdrawn: saved(_("Your request is withdrawn."), dashboard),
                     again=lambda status: redirect(dashboard))


@bp.route("/vouchers/<int:voucher_id>")
@require(any_of(Permission.VOUCHER_VIEW_OWN, Permission.COORDINATOR_CASELOAD))
def voucher_detail(voucher_id: int):  # type: ignore[no-untyped-def]
    voucher = voucher_services.read_voucher(db.session, current_user, voucher_id)
    if current_user.role == Role.COORDINATOR:  # the coordinator follows the voucher on the request's page
        return redirect(url_for("coordinators.request_page", request_id=voucher.request_id))
    return _voucher_page(voucher)


def _change_provider_form(provider_id: int) -> ChangeProviderForm:
    form = ChangeProviderForm()
    form.provider_id.choices = choices({key: name for key, name in listed_provider_names(db.session).items()
                                        if key != provider_id})
    return form


def _voucher_page(voucher: VoucherRead, form: ChangeProviderForm | None = None,  # type: ignore[no-untyped-def]
                  status: int = 200, give_up: GiveUpVoucherForm | None = None):
    """The voucher, its figures and what happened; the forms only while they can be used (the change of provider
    before the first session, giving up while it is open)."""
    data = voucher_read_dict(voucher)
    can_change = (data["status"] == "approved" and data["spent_cents"] == 0 and data["committed_cents"] == 0
                  and voucher.pending_provider_id is None)
    give_up = (give_up or GiveUpVoucherForm()) if data["status"] in ("approved", "in_progress") else None
    return render_template("vouchers/voucher.html", voucher=data, give_up_form=give_up,
                           change_form=(form or _change_provider_form(voucher.provider_id)) if can_change else None,
                           provider_name=voucher.provider_name, pending_provider_name=voucher.pending_provider_name,
                           timeline=request_services.timeline_of(db.session, voucher.request_id, voucher.id)), status


@bp.route("/vouchers/<int:voucher_id>/provider", methods=["POST"])
@require(Permission.VOUCHER_CHANGE_PROVIDER)
def voucher_change_provider(voucher_id: int):  # type: ignore[no-untyped-def]
    voucher = voucher_services.read_voucher(db.session, current_user, voucher_id)
    form = _change_provider_form(voucher.provider_id)
    return form_post(form, lambda: voucher_services.request_provider_change(db.session, current_user, voucher_id,
                                                                            form.provider_id.data, now=utcnow()),
                     errors=(DomainError,), refusal_status=422,
                     done=lambda asked: saved(_("We asked the new provider to accept your voucher. Until then, nothing "
                                                "changes."), url_for("vouchers.voucher_detail", voucher_id=voucher_id)),
                     again=lambda status: _voucher_page(voucher_services.read_voucher(db.session, current_user,
                                                                                      voucher_id), form, status))


@bp.route("/vouchers/<int:voucher_id>/withdraw", methods=["POST"])
@require(Permission.VOUCHER_WITHDRAW)
def voucher_withdraw(voucher_id: int):  # type: ignore[no-untyped-def]
    """Give up the voucher: planned sessions are cancelled, the coach is told."""
    voucher_services.read_voucher(db.session, current_user, voucher_id)  # someone else's: 404
    form = GiveUpVoucherForm()
    return form_post(form, lambda: seats.withdraw_voucher(db.session, current_user, voucher_id, form.reason.data,
                                                          now=utcnow()),
                     done=lambda v: saved(_("You gave up your voucher. Your planned sessions are cancelled."),
                                          url_for("vouchers.voucher_detail", voucher_id=voucher_id)),
                     again=lambda status: _voucher_page(voucher_services.read_voucher(db.session, current_user,
                                                                                      voucher_id),
                                                        status=status, give_up=form))


@bp.route("/account/data.json")
@require(Permission.DATA_EXPORT_OWN)
def export_data():  # type: ignore[no-untyped-def]
    """Everything the portal holds about the beneficiary, as JSON (GDPR access right)."""
    payload = privacy.export_beneficiary_data(db.session, current_user)
    response = jsonify(payload)
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@bp.route("/account/close", methods=["GET", "POST"])
@require(Permission.DATA_EXPORT_OWN)
def close_account():  # type: ignore[no-untyped-def]
    form = CloseAccountForm()

    def closed(_nothing: None):  # type: ignore[no-untyped-def]
        logout_user()
        session.clear()
        return saved(_("Your account is closed and your personal data is erased."), url_for("main.home"))

    return form_post(form, lambda: privacy.close_beneficiary_account(db.session, current_user,
                                                                     form.password.data or "", now=utcnow()),
                     errors=(DomainError,), refusal_status=422, done=closed,
                     again=lambda status: (render_template("vouchers/close_account.html", form=form), status))
