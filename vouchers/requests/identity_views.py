"""The pages around who a beneficiary is: what a sign-in with itsme or eID opens (portal/auth/fas.py hands the
proven identity to ``proven_identity``), the short page that makes the account of a first-time FAS user, the
"check your e-mail" page of a self-registration with a known address, and "send the link again" for a beneficiary
whose address is not confirmed yet.

Rules: services/identity.py (DOMAIN.md, "Identity") and services/registration.py.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.auth import fas
from portal.auth.ratelimits import confirmation_resend_limits
from portal.clock import utcnow
from portal.db import db
from portal.errors import Conflict, DomainError
from portal.extensions import client_ip, limiter
from portal.forms import ActionForm
from portal.mail import commit
from portal.permissions import Permission, require
from portal.web import form_post, refused, safe_next, saved
from vouchers.requests.emails import queue_beneficiary_confirmation
from vouchers.requests.forms import ProvenAccountForm
from vouchers.requests.services import identity as identity_services
from vouchers.requests.services.accounts import clean_niss

bp = Blueprint("identity", __name__)

#: The (known) address a registration just wrote to, for the "check your e-mail" page.
SENT_TO_KEY = "registration_sent_to"


@bp.app_context_processor
def _identity_in_pages() -> dict[str, Any]:
    """``beneficiary_identity()`` for a beneficiary's pages: whether their number is proven (else they are offered
    to prove it), and its last digits."""
    return {"beneficiary_identity": lambda: identity_services.identity_of(db.session, current_user)}


# --- a proven identity -----------------------------------------------------------------------------------------


def proven_identity(identity: fas.ProvenIdentity):  # type: ignore[no-untyped-def]
    """The federal service vouched for ``identity``: prove the logged-in account's number, or sign in with it."""
    if current_user.is_authenticated:
        return _prove_for_current_account(identity)
    try:
        user = identity_services.account_for_sign_in(db.session, identity.niss)
    except DomainError as error:
        fas.forget()
        flash(_(error.message), "error")
        return redirect(url_for("auth.login"))
    if user is None:
        return redirect(url_for("identity.complete"))
    fas.start_session(user)
    commit()
    flash(_("You are signed in with itsme or eID."), "success")
    return redirect(url_for("main.home"))


def _prove_for_current_account(identity: fas.ProvenIdentity):  # type: ignore[no-untyped-def]
    fas.forget()
    try:
        identity_services.prove(db.session, current_user, identity.niss, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(_(error.message), "error")
        return redirect(url_for("main.home"))
    commit()
    flash(_("Your national register number is proven. What your employer declared about it can now be used to "
            "fill in your request."), "success")
    return redirect(url_for("main.home"))


@bp.route("/login/fas/link")
@login_required
def link():  # type: ignore[no-untyped-def]
    """After logging in to the account the person says is theirs, the identity they proved goes to it."""
    identity = fas.pending_identity()
    if identity is None:
        flash(_("Please sign in with itsme or eID again: the page waited too long."), "error")
        return redirect(url_for("main.home"))
    return _prove_for_current_account(identity)


@bp.route("/login/fas/complete", methods=["GET", "POST"])
# Every post counts, refused ones too: the page tells whether an address has an account (README, "Identity").
@limiter.limit(lambda: current_app.config["REGISTRATION_LIMIT_PER_IP"], key_func=client_ip, methods=["POST"],
               scope="fas-complete")
def complete():  # type: ignore[no-untyped-def]
    """A first sign-in with a NISS no account holds proven: an address and a language make the account."""
    if current_user.is_authenticated:
        return redirect(url_for("identity.link"))
    identity = fas.pending_identity()
    try:
        niss = clean_niss(identity.niss) if identity is not None else None
    except DomainError:
        niss = None
    if identity is None or niss is None:
        fas.forget()
        flash(_("Please sign in with itsme or eID again: the page waited too long."), "error")
        return redirect(url_for("auth.login"))
    names_given = bool(identity.given_name and identity.family_name)
    form = ProvenAccountForm()
    if not form.is_submitted():
        form.first_name.data, form.last_name.data = identity.given_name, identity.family_name

    def make() -> Any:
        user = identity_services.create_proven_account(
            db.session, niss=niss, email=form.email.data or "", language=form.language.data or "fr",
            first_name=identity.given_name if names_given else (form.first_name.data or "").strip(),
            last_name=identity.family_name if names_given else (form.last_name.data or "").strip(), now=utcnow())
        queue_beneficiary_confirmation(db.session, user)  # the address was typed: its link confirms it
        fas.start_session(user)  # a new session id, logged in; committed with the account
        return user

    def page(status: int):  # type: ignore[no-untyped-def]
        return render_template("identity/complete.html", form=form, identity=identity, names_given=names_given,
                               niss_tail=niss[-4:],
                               typed_elsewhere=bool(identity_services.typed_holders(db.session, niss))), status

    def refusal(error: DomainError):  # type: ignore[no-untyped-def]
        status = refused(form, error)
        if isinstance(error, Conflict) and error.code == "email_taken":  # one sentence says it all
            form.form_errors.clear()
            form.email.errors = [_("This address already has an account. If it is yours, log in to it (link "
                                   "above the form): your itsme or eID identity is then added to it. Otherwise, "
                                   "give another address.")]
        return page(status)

    return form_post(form, make, errors=(DomainError,), refusal=refusal, again=page,
                     done=lambda user: saved(_("Welcome! Your account is made, with your national register number "
                                               "proven. We sent you an e-mail to confirm your address."),
                                             url_for("main.home")))


# --- a self-registration, and the confirmation of the address -------------------------------------------------


@bp.route("/register/sent")
def registration_sent():  # type: ignore[no-untyped-def]
    """Where a registration with an address that has an account lands: it cannot log anyone in (README,
    "Identity"); the e-mail sent there says what to do."""
    return render_template("identity/registration_sent.html", email=session.get(SENT_TO_KEY))


@bp.route("/my/confirmation-email", methods=["POST"])
@require(Permission.REQUEST_VIEW_OWN)
@confirmation_resend_limits
def send_confirmation_again():  # type: ignore[no-untyped-def]
    """The banner's "send the link again", on the beneficiary's pages; back to the page it was pressed on."""
    back = safe_next(request.form.get("next"), "vouchers.dashboard")
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The page waited too long. Please try again."), "error")
    elif current_user.is_confirmed:
        flash(_("Your e-mail address is confirmed already."), "info")
    else:
        queue_beneficiary_confirmation(db.session, current_user)
        commit()
        flash(_("We sent the link again to %(email)s. It can take a few minutes to arrive.",
                email=current_user.email), "success")
    return redirect(back)
