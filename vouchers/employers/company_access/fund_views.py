"""The fund's page of ownership letters: check the registered office, print the letter with its code, mark it sent."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import Conflict
from portal.i18n import long_date
from portal.permissions import Permission, require
from portal.web import form_post, saved
from vouchers.employers.company_access import claims, domain, letters
from vouchers.employers.company_access.forms import MarkSentForm, OfficeAddressForm
from vouchers.employers.services.letters import LETTER_LANGUAGES

bp = Blueprint("employer_fund_letters", __name__, url_prefix="/admin/fund/ownership-letters")

LANGUAGE_NAMES = {"fr": "Français", "nl": "Nederlands", "de": "Deutsch"}


def _page(address_form: OfficeAddressForm | None = None, sent_form: MarkSentForm | None = None,
          form_for: int | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    now = utcnow()
    due = claims.letters_to_send(db.session, current_user, now=now)
    forms = {}
    for letter in due:
        mine = letter.claim_id == form_for
        address = address_form if mine and address_form is not None else OfficeAddressForm(
            prefix=f"office-{letter.claim_id}", formdata=None, data={"address": letter.address})
        sent = sent_form if mine and sent_form is not None else MarkSentForm(prefix=f"sent-{letter.claim_id}",
                                                                            formdata=None)
        forms[letter.claim_id] = (address, sent)
    return render_template("employers/access/fund_letters.html", due=due, forms=forms,
                           sent=claims.letters_sent(db.session, current_user, now=now), languages=LANGUAGE_NAMES,
                           letter_language=letters.letter_language, valid_days=domain.CODE_VALID_DAYS,
                           failed=address_form or sent_form), status


@bp.route("/")
@require(Permission.ADMIN_USERS_MANAGE)
def letters_page():  # type: ignore[no-untyped-def]
    return _page()


@bp.route("/<int:ownership_claim_id>/letter.pdf")
@require(Permission.ADMIN_USERS_MANAGE)
def letter_pdf(ownership_claim_id: int):  # type: ignore[no-untyped-def]
    claim, employer, user = claims.letter_due(db.session, current_user, ownership_claim_id)
    lang = request.args.get("lang")
    lang = lang if lang in LETTER_LANGUAGES else letters.letter_language(user.language)
    facts = letters.OwnershipLetterFacts(
        company_name=employer.company_name, enterprise_number=employer.enterprise_number, address=employer.address,
        person=user.display_name, email=user.email, asked_on=(claim.letter_due_at or claim.created_at).date(),
        code=claim.code or "", written_on=today_in_brussels(), portal_url=current_app.config["PUBLIC_BASE_URL"])
    response = Response(letters.letter_pdf(facts, lang), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="ownership-letter-{claim.id}-{lang}.pdf"'
    response.headers["Cache-Control"] = "no-store"  # it carries the code
    return response


@bp.route("/<int:ownership_claim_id>/address", methods=["POST"])
@require(Permission.ADMIN_USERS_MANAGE)
def correct_address(ownership_claim_id: int):  # type: ignore[no-untyped-def]
    form, back = OfficeAddressForm(prefix=f"office-{ownership_claim_id}"), url_for(".letters_page")
    # A letter sent meanwhile (409) too is shown on the form, with 422.
    return form_post(form, lambda: claims.correct_address(db.session, current_user, ownership_claim_id,
                                                          form.address.data or "", now=utcnow()),
                     refusal_status=422,
                     done=lambda employer: saved(_("The registered office of %(company)s is saved. Print the letter "
                                                   "again with it.", company=employer.company_name), back),
                     again=lambda status: _page(address_form=form, form_for=ownership_claim_id, status=status))


@bp.route("/<int:ownership_claim_id>/sent", methods=["POST"])
@require(Permission.ADMIN_USERS_MANAGE)
def mark_sent(ownership_claim_id: int):  # type: ignore[no-untyped-def]
    form, back = MarkSentForm(prefix=f"sent-{ownership_claim_id}"), url_for(".letters_page")
    # Marked as sent meanwhile by someone else: said on the page.
    return form_post(form, lambda: claims.mark_sent(db.session, current_user, ownership_claim_id, now=utcnow()),
                     errors=(), flashed=(Conflict,), back=back,
                     done=lambda claim: saved(_("The letter is marked as sent; its code works until %(day)s. The "
                                                "person who asked is told.", day=long_date(claim.expires_at)), back),
                     again=lambda status: _page(sent_form=form, form_for=ownership_claim_id, status=status))
