"""Employer pages: declarations, payment, the worker's letter, the receipt and the CSV import."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import Conflict, DomainError, Forbidden, ValidationFailed, megabytes
from portal.forms import ActionForm, choices
from portal.i18n import in_page_language, labeller, long_date
from portal.mail import commit
from portal.payments import GatewayError, gateway_for
from portal.permissions import Permission, require
from portal.web import attach_errors, expired_button, form_post
from vouchers.employers import api as employers_api
from vouchers.employers.api import letter_pdf, receipt_pdf
from vouchers.employers.company_access.pages import may_act_page
from vouchers.employers.forms import DeclarationForm, ImportForm
from vouchers.employers.models import CONTRIBUTION_STATUSES
from vouchers.employers.presenters import dashboard_rows
from vouchers.employers.services import (
    background_imports,
    contributions,
    demo_payments,
    letters,
)
from vouchers.employers.services import declarations as declaration_services
from vouchers.employers.services import imports as csv_import
from vouchers.employers.services import payments as payment_services
from vouchers.employers.services.listing import declaration_rows, employer_names_for

bp = Blueprint("employers", __name__, url_prefix="/employer")

CONTRIBUTION_LABELS = {
    "due": _l("To pay"),
    "processing": _l("Payment being processed"),
    "partially_paid": _l("Partly paid"),
    "paid": _l("Paid"),
    "overpaid": _l("Paid too much"),
    "refunded": _l("Refunded"),
}
WARNING_TEXTS = {
    "late_declaration": _l("This declaration is late: it was due by %(day)s, 45 days after the end of the contract. "
                           "It is recorded, but a late declaration can lead to a sanction."),
    "physician_appeal_period": _l("The contract ended before the 21-day appeal period after the occupational "
                                  "physician's decision was over (%(day)s). Please check the date of the decision."),
}
PROGRESS_TEXTS = {
    "checking": _l("Checking the lines: %(done)s of %(total)s"),
    "importing": _l("Declaring: %(done)s of %(total)s"),
}
LETTER_LANGUAGE_NAMES = {"fr": "Français", "nl": "Nederlands", "de": "Deutsch"}


def warning_text(code: str, params: dict[str, str]) -> str:
    day = params.get("declaration_due_on") or params.get("appeal_ends_on") or ""
    return str(WARNING_TEXTS[code]) % {"day": long_date(date.fromisoformat(day)) if day else ""}


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"contribution_label": _CONTRIBUTION_LABEL}


_CONTRIBUTION_LABEL = in_page_language(labeller(CONTRIBUTION_LABELS))


def _employer_choices(form: Any) -> list[Any]:
    employers = declaration_services.employers_for(db.session, current_user)
    form.employer_id.choices = choices({e.id: e.company_name for e in employers})
    return employers


def _chosen_employer(form: Any, employers: list[Any]) -> int | None:
    return form.employer_id.data if len(employers) > 1 else None


def _asked_employer(employers: list[Any]) -> int | None:
    """The employer an agent switched to (``?employer_id=``), if it acts for it."""
    wanted = request.args.get("employer_id", type=int)
    return wanted if wanted in {e.id for e in employers} else None


def _preselect(form: Any, employers: list[Any]) -> None:
    if not form.is_submitted() and _asked_employer(employers) is not None:
        form.employer_id.data = _asked_employer(employers)


@bp.route("/")
@require(Permission.DISMISSAL_VIEW_OWN)
@may_act_page
def dashboard():  # type: ignore[no-untyped-def]
    """What is declared, what is due, paid and overdue."""
    today = today_in_brussels()
    status = request.args.get("status") if request.args.get("status") in CONTRIBUTION_STATUSES else None
    overdue = True if request.args.get("overdue") == "true" else None
    employers = employer_names_for(db.session, current_user)  # {id: name}: the ids first, so each is read by index
    wanted = request.args.get("employer_id", type=int)
    chosen = wanted if wanted in employers else None
    filters = declaration_services.DeclarationFilters(status=status, overdue=overdue, employer_id=chosen)
    rows, next_cursor = declaration_rows(db.session, current_user, filters, today=today, limit=50,
                                         cursor=request.args.get("cursor"), employer_ids=list(employers))
    counts = contributions.overdue_or_pending(db.session, [chosen] if chosen else list(employers), today=today)
    return render_template("employers/dashboard.html", items=dashboard_rows(rows, today, employers, CONTRIBUTION_LABELS),
                           next_cursor=next_cursor, counts=counts, employers=employers,
                           status=status, overdue=overdue, today=today, chosen=chosen)


@bp.route("/declare", methods=["GET", "POST"])
@require(Permission.DISMISSAL_DECLARE)
@may_act_page
def declare():  # type: ignore[no-untyped-def]
    form = DeclarationForm()
    employers = _employer_choices(form)
    _preselect(form, employers)

    def declare_it() -> tuple[int, list[tuple[str, str]]]:
        result = declaration_services.declare_dismissal(db.session, current_user, _declaration_data(form),
                                                        employer_id=_chosen_employer(form, employers),
                                                        today=today_in_brussels(), now=utcnow())
        declaration = result.declaration
        if request.form.get("pay_now") == "test" and _card_payment_mode() == "test":
            return declaration.id, _paid_at_once(declaration.id)
        return declaration.id, [(_declared_text(declaration.contribution.due_on), "success")]

    # A duplicate (409) too is a mistake in the form here: 422, what was typed kept.
    return form_post(form, declare_it, refusal_status=422, done=lambda declared: _told(*declared),
                     again=lambda status: (render_template("employers/declare.html", form=form,
                                                           several=len(employers) > 1,
                                                           card_payment=_card_payment_mode()), status))


def _declaration_data(form: DeclarationForm) -> declaration_services.DeclarationData:
    return declaration_services.DeclarationData(
        worker_first_name=form.worker_first_name.data or "", worker_last_name=form.worker_last_name.data or "",
        worker_niss=form.worker_niss.data or "", contract_end_on=form.contract_end_on.data,
        physician_decision_on=form.physician_decision_on.data, agent_name=form.agent_name.data,
        agent_email=form.agent_email.data, agent_phone=form.agent_phone.data)


def _declared_text(due_on: date) -> str:
    # Its warnings are on the declaration's page, where this leads: not flashed a second time. A due day already
    # past is the late declaration's warning there: not said again here.
    return (_("The dismissal is declared. The contribution is due by %(day)s.", day=long_date(due_on))
            if due_on >= today_in_brussels() else _("The dismissal is declared."))


def _paid_at_once(declaration_id: int) -> list[tuple[str, str]]:
    """A demo's clerk declared and asked to pay at once (the test card): one screen less. The payment is in a
    savepoint: a refused one leaves the declaration made, and its page says why and offers the other ways to pay.
    What to tell once it is all committed."""
    try:
        with db.session.begin_nested():
            demo_payments.pay_with_test_card(db.session, current_user, declaration_id, gateway_for(current_app),
                                             today=today_in_brussels(), now=utcnow())
    except DomainError as error:
        return [(_("The dismissal is declared."), "success"), (_(error.message), "error")]
    return [(_("The dismissal is declared and the contribution is paid. Thank you."), "success")]


def _told(declaration_id: int, messages: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    for message, category in messages:
        flash(message, category)
    return redirect(url_for("employers.declaration", declaration_id=declaration_id))


def _card_payment_mode() -> str | None:
    """"stripe" (Stripe.js), "test" (a demo's fake gateway: a test payment) or None (no card payments here)."""
    return demo_payments.card_payment_mode(gateway_for(current_app), current_app.config.get("STRIPE_PUBLISHABLE_KEY"))


def _declaration_page(declaration_id: int) -> str:
    declaration = declaration_services.get_declaration(db.session, current_user, declaration_id)
    today = today_in_brussels()
    summary = contributions.declaration_summary(db.session, declaration, today=today)
    payments = contributions.payments_of(db.session, declaration.contribution.id)
    return render_template("employers/declaration.html", d=summary, payments=payments,
                           warnings=[warning_text(w["code"], w["params"]) for w in summary["warnings"]],
                           letter_languages=LETTER_LANGUAGE_NAMES,
                           card_payment=_card_payment_mode(),
                           fund_iban=current_app.config.get("FUND_IBAN"),
                           days_left=(summary["contribution"]["due_on"] - today).days)


@bp.route("/declarations/<int:declaration_id>")
@require(Permission.DISMISSAL_VIEW_OWN)
def declaration(declaration_id: int):  # type: ignore[no-untyped-def]
    return _declaration_page(declaration_id)


@bp.route("/declarations/<int:declaration_id>/pay")
@require(Permission.CONTRIBUTION_PAY)
@may_act_page
def pay(declaration_id: int):  # type: ignore[no-untyped-def]
    """The card/Bancontact page. Stripe.js comes from STRIPE_JS_URL; static/js/pay.js drives it."""
    try:
        intent = payment_services.start_card_payment(db.session, current_user, declaration_id, gateway_for(current_app),
                                             today=today_in_brussels(), now=utcnow())
    except DomainError as error:
        if error.status == 404:
            raise
        commit()  # keep what re-reading the previous PaymentIntent learned (e.g. that it succeeded)
        flash(_(error.message), "error")
        return redirect(url_for("employers.declaration", declaration_id=declaration_id))
    commit()
    declaration = declaration_services.get_declaration(db.session, current_user, declaration_id)
    summary = contributions.declaration_summary(db.session, declaration, today=today_in_brussels())
    owed = summary["contribution"]["amount_cents"] - summary["contribution"]["paid_cents"]
    return render_template("employers/pay.html", d=summary, owed=owed, client_secret=intent.client_secret,
                           publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY") or "",
                           stripe_js_url=current_app.config["STRIPE_JS_URL"], card_payment=_card_payment_mode())


@bp.route("/declarations/<int:declaration_id>/pay/test", methods=["POST"])
@require(Permission.CONTRIBUTION_PAY)
@may_act_page
def pay_test(declaration_id: int):  # type: ignore[no-untyped-def]
    """A demo's card payment (the fake gateway, no card details): then where a real card payment lands."""
    declaration_services.get_declaration(db.session, current_user, declaration_id, Permission.CONTRIBUTION_PAY)  # 404 first
    if _card_payment_mode() != "test":
        abort(404)
    back = url_for("employers.declaration", declaration_id=declaration_id)
    # A refused payment (paid meanwhile, the card declined, may not act yet) is said on the declaration's page.
    return form_post(ActionForm(), lambda: demo_payments.pay_with_test_card(
        db.session, current_user, declaration_id, gateway_for(current_app), today=today_in_brussels(), now=utcnow()),
        errors=(), flashed=(ValidationFailed, Conflict, Forbidden), back=back, again=expired_button(back),
        done=lambda paid: redirect(url_for("employers.payment_return", declaration_id=declaration_id)))


@bp.route("/declarations/<int:declaration_id>/pay/confirm", methods=["POST"])
@require(Permission.CONTRIBUTION_PAY)
def pay_confirm(declaration_id: int) -> Response | tuple[Response, int]:
    """Server-side confirmation with a card token (localstripe's Stripe.js mock) or a PaymentMethod id.
    JSON in and out; the CSRF token comes in X-CSRFToken."""
    declaration_services.get_declaration(db.session, current_user, declaration_id, Permission.CONTRIBUTION_PAY)  # 404 first
    body = request.get_json(silent=True) or {}
    payment_method = body.get("payment_method") if isinstance(body.get("payment_method"), str) else None
    token = body.get("token") if isinstance(body.get("token"), str) else None
    if not payment_method and not token:
        return jsonify({"error": {"code": "bad_request", "message": _("No card was given."), "fields": {}}}), 400
    try:
        status = payment_services.confirm_card_payment(db.session, current_user, declaration_id, gateway_for(current_app),
                                               payment_method=payment_method, token=token,
                                               today=today_in_brussels(), now=utcnow())
    except DomainError as error:
        db.session.rollback()
        return jsonify({"error": {"code": error.code, "message": _(error.message), "fields": {}}}), error.status
    commit()
    return jsonify({"status": status,
                    "next": url_for("employers.payment_return", declaration_id=declaration_id)})


@bp.route("/declarations/<int:declaration_id>/payment-return")
@require(Permission.CONTRIBUTION_PAY)
def payment_return(declaration_id: int):  # type: ignore[no-untyped-def]
    """Where Stripe.js (or Bancontact's redirect) lands: re-read the PaymentIntent, then show the declaration."""
    declaration = declaration_services.get_declaration(db.session, current_user, declaration_id, Permission.CONTRIBUTION_PAY)
    intent_id = declaration.contribution.payment_intent_id
    if intent_id:
        try:
            payment_services.sync_payment_intent(db.session, gateway_for(current_app), intent_id, today=today_in_brussels(),
                                         now=utcnow())
            commit()
        except GatewayError:
            db.session.rollback()
    status = declaration.contribution.status
    if status in ("paid", "overpaid"):
        flash(_("Thank you: the contribution is paid."), "success")
    elif status == "processing":
        flash(_("Thank you: your payment is being processed. This page shows it as paid once it is confirmed."),
              "success")
    else:
        flash(_("The payment was not completed. You can try again or pay by bank transfer."), "warning")
    return redirect(url_for("employers.declaration", declaration_id=declaration_id))


@bp.route("/declarations/<int:declaration_id>/letter.pdf")
@require(Permission.DISMISSAL_VIEW_OWN)
def letter(declaration_id: int):  # type: ignore[no-untyped-def]
    declaration = declaration_services.get_declaration(db.session, current_user, declaration_id)
    lang = request.args.get("lang")
    if lang not in letters.LETTER_LANGUAGES:
        lang = current_user.language if current_user.language in letters.LETTER_LANGUAGES else "fr"
    response = Response(letter_pdf(declaration, lang), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="letter-{declaration.id}-{lang}.pdf"'
    return response


@bp.route("/declarations/<int:declaration_id>/receipt.pdf")
@require(Permission.DISMISSAL_VIEW_OWN)
def receipt(declaration_id: int):  # type: ignore[no-untyped-def]
    declaration = declaration_services.get_declaration(db.session, current_user, declaration_id)
    lang = str(get_locale())
    response = Response(receipt_pdf(declaration, lang if lang in letters.RECEIPT_LANGUAGES else "fr"),
                        mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="receipt-{declaration.id}.pdf"'
    return response


@bp.route("/import", methods=["GET", "POST"])
@require(Permission.DISMISSAL_DECLARE)
@may_act_page
def import_csv():  # type: ignore[no-untyped-def]
    """Many declarations at once: every line is checked first; all are imported, or none."""
    form = ImportForm()
    employers = _employer_choices(form)
    _preselect(form, employers)
    report = None
    text = _uploaded_text(form) if form.validate_on_submit() else None
    if text is not None and background_imports.is_large(text):
        try:
            job = background_imports.start_import(db.session, current_user, text,
                                                  employer_id=_chosen_employer(form, employers),
                                                  file_name=form.file.data.filename, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            attach_errors(form, error)
        else:
            commit()
            return redirect(url_for("employers.import_status", import_id=job.id))
    elif text is not None:
        try:
            report = csv_import.import_declarations(db.session, current_user, text,
                                                    employer_id=_chosen_employer(form, employers),
                                                    today=today_in_brussels(), now=utcnow())
        except DomainError as error:
            db.session.rollback()
            attach_errors(form, error)
        else:
            if report.ok:
                commit()
                flash(ngettext("%(num)d dismissal is declared.", "%(num)d dismissals are declared.",
                               len(report.imported_ids)), "success")
                return redirect(url_for("employers.dashboard"))
            db.session.rollback()
    status = 422 if form.is_submitted() else 200
    errors = [{"line": e.line, "field": e.field, "message": _(e.message, **e.params)} for e in report.errors] \
        if report else []
    return render_template("employers/import.html", form=form, several=len(employers) > 1, report=report,
                           errors=errors, columns=csv_import.COLUMNS), status


def _uploaded_text(form: ImportForm) -> str | None:
    """The uploaded CSV as text, reading at most one byte more than the import's limit; None, with the
    reason on the form, when it is larger or not UTF-8."""
    data = employers_api.read_at_most(form.file.data, employers_api.MAX_IMPORT_BYTES)
    if len(data) > employers_api.MAX_IMPORT_BYTES:
        form.file.errors = [_("The file is larger than %(mb)s MB.", mb=megabytes(employers_api.MAX_IMPORT_BYTES))]
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        form.file.errors = [_("This file is not CSV UTF-8 text. Save it again as \"CSV UTF-8\".")]
        return None


@bp.route("/import/<int:import_id>")
@require(Permission.DISMISSAL_DECLARE)
def import_status(import_id: int):  # type: ignore[no-untyped-def]
    """A large file read in the background: its progress (the page follows it), then what came of it."""
    job = background_imports.get_import(db.session, current_user, import_id)
    errors = [{"line": e.line, "field": e.field, "message": _(e.message, **e.params)}
              for e in background_imports.line_errors(job)]
    phase_texts = {phase: str(label) % {"done": "{done}", "total": "{total}"} for phase, label in PROGRESS_TEXTS.items()}
    return render_template("employers/import_status.html", job=job, errors=errors, phase_texts=phase_texts,
                           lines_with_problems=len({e["line"] for e in errors}),
                           failure=_(job.failure_reason) if job.failure_reason else None)


@bp.route("/import/template.csv")
@require(Permission.DISMISSAL_DECLARE)
@may_act_page
def import_template():  # type: ignore[no-untyped-def]
    response = Response(csv_import.TEMPLATE, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="declarations.csv"'
    return response
