"""Employer pages before acting: confirm the e-mail address (and have it sent again), follow one's requests to act
for a company, type the code of the fund's letter, ask for a new letter."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from portal.auth.services import confirm_email as confirm_address
from portal.clock import utcnow
from portal.db import db
from portal.errors import Conflict, DomainError
from portal.mail import commit
from portal.permissions import Permission, require
from portal.web import expired_button, form_post, saved
from vouchers.employers.company_access import claims, domain, emails
from vouchers.employers.company_access.forms import (
    AskLetterForm,
    CodeForm,
    SendAgainForm,
)
from vouchers.employers.company_access.gate import acting_problem
from vouchers.employers.company_access.limits import code_limits, resend_limits

bp = Blueprint("employer_access", __name__, url_prefix="/employer")

STATUS_TEXTS = {
    "awaiting_email": _l("Waiting for your e-mail address to be confirmed"),
    "letter_due": _l("The fund prepares the letter"),
    "letter_sent": _l("Letter sent: type its code"),
    "expired": _l("The code has expired"),
    "locked": _l("Too many wrong codes"),
    "proven": _l("You act for this company"),
    "withdrawn": _l("Closed: your account acts for another company"),
}


@bp.route("/confirm-email", methods=["GET", "POST"])
@require(Permission.COMPANY_CLAIM)
@resend_limits
def confirm_email():  # type: ignore[no-untyped-def]
    """Until the address is confirmed the account cannot act: this page says so, and sends the link again."""
    if current_user.is_confirmed:
        return redirect(url_for("employers.dashboard"))
    form = SendAgainForm()
    return form_post(form, lambda: emails.queue_confirmation(db.session, current_user),
                     done=lambda queued: saved(_("We sent the link again to %(email)s. It may take a few minutes; "
                                                 "check your spam folder too.", email=current_user.email),
                                               url_for("employer_access.confirm_email")),
                     again=lambda status: (render_template("employers/access/confirm_email.html", form=form), status))


@bp.route("/confirm/<token>")
def confirm(token: str):  # type: ignore[no-untyped-def]
    """The link of the registration e-mail: the address is confirmed, and the fund is asked for the letter."""
    now = utcnow()
    user = confirm_address(db.session, current_app.config["SECRET_KEY"], token,
                           max_age_hours=current_app.config["EMAIL_TOKEN_HOURS"], now=now)
    if user is None:
        flash(_("This confirmation link is not valid or has expired. Log in to get a new one."), "error")
        return redirect(url_for("auth.login"))
    asked = claims.letters_due_after_confirmation(db.session, user, now=now)
    commit()
    flash(_("Thank you: your e-mail address is confirmed."), "success")
    if asked:
        flash(_("The fund now sends a letter with a code to your company's registered office. You will be told "
                "when it is on its way."), "info")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("employer_access.ownership"))
    return redirect(url_for("auth.login", next=url_for("employer_access.ownership")))


@bp.route("/ownership")
@require(Permission.COMPANY_CLAIM)
def ownership():  # type: ignore[no-untyped-def]
    """The person's requests to act for a company, where each stands, and the code form."""
    return _ownership_page()


def code_form(ownership_claim_id: int) -> CodeForm:
    """One form per letter, so that two letters on the page never share a field id."""
    return CodeForm(prefix=f"claim-{ownership_claim_id}")


def _ownership_page(sent: CodeForm | None = None, status: int = 200,
                    sent_for: int | None = None):  # type: ignore[no-untyped-def]
    now = utcnow()
    rows = claims.claims_of(db.session, current_user, now=now)
    forms = {row.id: sent if sent is not None and row.id == sent_for else code_form(row.id) for row in rows}
    return render_template("employers/access/ownership.html", rows=rows, forms=forms, sent=sent,
                           ask_form=AskLetterForm(), status_texts=STATUS_TEXTS, now=now,
                           confirmed=current_user.is_confirmed, may_act=acting_problem(db.session, current_user) is None,
                           acts=current_user.employer_id is not None, max_wrong=domain.MAX_WRONG_CODES,
                           valid_days=domain.CODE_VALID_DAYS), status


@bp.route("/ownership/<int:ownership_claim_id>/code", methods=["POST"])
@require(Permission.COMPANY_CLAIM)
@code_limits
def enter_code(ownership_claim_id: int):  # type: ignore[no-untyped-def]
    claims.ensure_own(db.session, current_user, ownership_claim_id)
    form = code_form(ownership_claim_id)

    def on_the_code(error: DomainError):  # type: ignore[no-untyped-def]
        form.code.errors = [_(error.message)]
        return _ownership_page(form, error.status, ownership_claim_id)

    # A wrong code is counted too: committed, then the form again with the tries left.
    return form_post(form, lambda: claims.prove(db.session, current_user, ownership_claim_id, form.code.data,
                                                now=utcnow()),
                     refusal=on_the_code, done=lambda proof: _proven(proof, form, ownership_claim_id),
                     again=lambda status: _ownership_page(form, status, ownership_claim_id))


def _proven(proof: claims.Proof, form: CodeForm, ownership_claim_id: int):  # type: ignore[no-untyped-def]
    if proof.proven:
        return saved(_("Thank you: you now act for your company. You can declare dismissals and pay contributions."),
                     url_for("employers.dashboard"))
    if proof.attempts_left:
        form.code.errors = [ngettext("This is not the code of the letter. %(num)d try left.",
                                     "This is not the code of the letter. %(num)d tries left.",
                                     proof.attempts_left)]
    else:
        form.code.errors = [_("This is not the code of the letter, and it was the last try: ask for a new "
                              "letter.")]
    return _ownership_page(form, 422, ownership_claim_id)


@bp.route("/ownership/<int:ownership_claim_id>/letter", methods=["POST"])
@require(Permission.COMPANY_CLAIM)
def ask_letter(ownership_claim_id: int):  # type: ignore[no-untyped-def]
    claims.ensure_own(db.session, current_user, ownership_claim_id)
    back = url_for("employer_access.ownership")
    # Asked too early, or for a request that is closed: said on the page.
    return form_post(AskLetterForm(), lambda: claims.ask_letter(db.session, current_user, ownership_claim_id,
                                                                now=utcnow()),
                     errors=(), flashed=(Conflict,), back=back, again=expired_button(back),
                     done=lambda claim: saved(_("The fund will send a new letter with a new code to your company's "
                                                "registered office. You will be told when it is on its way."), back))
