"""The e-mail of a self-registration, in the language of the account it is about (they need the request context for
links).

A new account gets the link that confirms its address (``queue_beneficiary_confirmation``, also what "send the link
again" sends); an address that already has an account gets a note saying so instead. Whoever typed the form gets the
same API answer either way."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.auth.services import make_confirmation_token
from portal.mail import queue_mail
from vouchers.requests.services.registration import Registered


def _absolute(endpoint: str, **values: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def queue_beneficiary_confirmation(session: Session, user: User) -> None:
    """The link that confirms the address; it says why it matters: the fund decides no request before."""
    link = _absolute("auth.confirm", token=make_confirmation_token(current_app.config["SECRET_KEY"], user))
    with force_locale(user.language):
        subject = _("Confirm your e-mail address")
        body = _("Hello %(name)s,\n\nPlease confirm your e-mail address for the Return to Work Fund portal by "
                 "opening this link within %(hours)s hours:\n%(link)s\n\nThe fund decides your request only once "
                 "your address is confirmed: this is where we tell you about it. You can fill in and send your "
                 "request before.\n\nIf you did not create an account, you can ignore this message.\n",
                 name=user.display_name, hours=current_app.config["EMAIL_TOKEN_HOURS"], link=link)
    queue_mail(session, to=user.email, subject=subject, body=body, user_id=user.id)


def queue_already_registered(session: Session, user: User) -> None:
    with force_locale(user.language):
        subject = _("You already have an account")
        body = _("Hello %(name)s,\n\nSomeone asked to create an account on the Return to Work Fund portal with this "
                 "e-mail address, which already has one. If it was you, log in here:\n%(login)s\n\nForgot your "
                 "password? Choose a new one here:\n%(reset)s\n\nIf it was not you, you can ignore this message: "
                 "nothing was changed.\n", name=user.display_name, login=_absolute("auth.login"),
                 reset=_absolute("auth.forgot_password"))
    queue_mail(session, to=user.email, subject=subject, body=body, user_id=user.id)


def queue_registration_mail(session: Session, registered: Registered) -> None:
    """The one message a registration sends: the link that confirms a new account's address, or the note that the
    address has an account."""
    if registered.created:
        queue_beneficiary_confirmation(session, registered.user)
    else:
        queue_already_registered(session, registered.user)
