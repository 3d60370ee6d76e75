"""The member's side of a coordinator's request: the e-mailed link, where they take the request into their own
account (logging in with the invited address, or creating the account with it), after which it is theirs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.auth.models import User
from portal.auth.session_start import sign_in_fresh
from portal.clock import utcnow
from portal.db import db
from portal.errors import Conflict, DomainError
from portal.forms import ActionForm
from portal.web import form_post, refused, saved
from vouchers.coordinators.forms import MemberAccountForm
from vouchers.coordinators.services import invitations
from vouchers.requests.domain import INSURERS
from vouchers.requests.models import MemberInvitation, VoucherRequest

bp = Blueprint("member_invitations", __name__)

PAGE = "coordinators/invitation.html"


def _context(invitation: MemberInvitation) -> dict[str, Any]:
    request_ = invitations.request_of(db.session, invitation)
    coordinator = request_.coordinator
    return {"invitation": invitation, "voucher_request": request_,
            "coordinator": coordinator.display_name if coordinator else "",
            "insurer": INSURERS.get(coordinator.insurer_code or 0, "") if coordinator else ""}


def _refused(message: str, status: int):  # type: ignore[no-untyped-def]
    return render_template(PAGE, state="refused", message=_(message)), status


def _unusable(error: invitations.InvitationUnusable):  # type: ignore[no-untyped-def]
    # A link that never existed is a 404; one that did but is over (expired, used) is gone.
    return _refused(error.message, 404 if error.reason == "invalid" else 410)


def _taken_up(request_id: int):  # type: ignore[no-untyped-def]
    return saved(_("The request is now in your account. Your coordinator keeps following it with you."),
                 url_for("vouchers.request_detail", request_id=request_id))


def _not_taken_up(error: DomainError):  # type: ignore[no-untyped-def]
    """Used, expired or no longer possible meanwhile: the invitation's page says so, with its status."""
    if isinstance(error, invitations.InvitationUnusable):
        return _unusable(error)
    return _refused(error.message, error.status)


def _confirm(invitation: MemberInvitation, form: ActionForm, accept: Callable[[], VoucherRequest]):  # type: ignore[no-untyped-def]
    """The button that takes the request up; a post that fails its check shows it again (with a 200, as ever)."""
    return form_post(form, accept, errors=(DomainError,), refusal=_not_taken_up,
                     done=lambda taken: _taken_up(taken.id),
                     again=lambda status: render_template(PAGE, state="confirm", form=form, **_context(invitation)))


@bp.route("/join/<token>", methods=["GET", "POST"])
def accept(token: str):  # type: ignore[no-untyped-def]
    now = utcnow()
    try:
        invitation = invitations.invitation_for_token(db.session, current_app.config["SECRET_KEY"], token, now=now)
    except invitations.InvitationUnusable as error:
        return _unusable(error)
    if not current_user.is_authenticated:
        if invitations.invitee_account(db.session, invitation) is not None:
            flash(_("Log in with %(email)s to take up the request your coordinator filed for you.",
                    email=invitation.email), "info")
            return redirect(url_for("auth.login", next=url_for("member_invitations.accept", token=token)))
        return _register(invitation, token)
    problem = invitations.acceptance_problem(db.session, invitation, current_user)
    if problem is not None:
        return _refused(problem.message, problem.status)
    return _confirm(invitation, ActionForm(),
                    lambda: invitations.accept_invitation(db.session, invitation, current_user, now=now))


@bp.route("/join/proven/<int:invitation_id>", methods=["GET", "POST"])
@login_required
def accept_proven(invitation_id: int):  # type: ignore[no-untyped-def]
    """Without the e-mailed link: the member whose NISS is proven (itsme, eID) and is the one the coordinator gave.
    Anyone else gets the same 404 as for an invitation that does not exist."""
    invitation = db.session.get(MemberInvitation, invitation_id)
    if invitation is None or invitation.accepted_at is not None or invitations.acceptance_problem(
            db.session, invitation, current_user, by_proven_niss=True) is not None:
        abort(404)
    return _confirm(invitation, ActionForm(),
                    lambda: invitations.accept_invitation(db.session, invitation, current_user, now=utcnow(),
                                                          by_proven_niss=True))


def _register(invitation: MemberInvitation, token: str):  # type: ignore[no-untyped-def]
    """No account has the invited address: the member makes one with it, and the request is theirs."""
    form = MemberAccountForm()
    if not form.is_submitted():
        form.first_name.data, form.last_name.data = invitation.first_name, invitation.last_name

    def page(status: int):  # type: ignore[no-untyped-def]
        return render_template(PAGE, state="register", form=form, **_context(invitation)), status

    def refusal(error: DomainError):  # type: ignore[no-untyped-def]
        if isinstance(error, Conflict) and error.code == "email_taken":  # an account was made for this address
            return redirect(url_for("auth.login", next=url_for("member_invitations.accept", token=token)))
        if isinstance(error, (invitations.InvitationUnusable, Conflict)):
            return _not_taken_up(error)
        refused(form, error)  # a reason about what was typed
        return page(422)

    def joined(registered: tuple[User, VoucherRequest]):  # type: ignore[no-untyped-def]
        user, taken = registered
        sign_in_fresh(user)  # a new session id for the new account
        return _taken_up(taken.id)

    return form_post(form, lambda: invitations.register_and_accept(
        db.session, invitation, first_name=form.first_name.data or "", last_name=form.last_name.data or "",
        password=form.password.data or "", language=form.language.data or "fr", now=utcnow()),
        errors=(DomainError,), refusal=refusal, done=joined, again=page)
