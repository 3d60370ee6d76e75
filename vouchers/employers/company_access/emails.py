"""The e-mails of an employer's registration, in the recipient's language: the link that confirms the address,
and, to an address that has an account already, the news that someone tried to register with it."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.auth.services import make_confirmation_token
from portal.mail import queue_mail
from portal.permissions import Role
from vouchers.employers.company_access.registration import Registered


def _absolute(endpoint: str, **values: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def queue_confirmation(session: Session, user: User) -> None:
    """The link that confirms the address; opening it also asks the fund for the letter with the code."""
    link = _absolute("employer_access.confirm", token=make_confirmation_token(current_app.config["SECRET_KEY"], user))
    hours = current_app.config["EMAIL_TOKEN_HOURS"]
    with force_locale(user.language):
        subject = _("Confirm your e-mail address")
        body = _("Hello %(name)s,\n\nPlease confirm your e-mail address for the Return to Work Fund portal by opening "
                 "this link within %(hours)s hours:\n%(link)s\n\nThen the fund sends a letter with a code to the "
                 "registered office of the company, as the Crossroads Bank for Enterprises gives it. Type that code "
                 "in the portal: from then on you declare and pay for the company. This way nobody acts for a "
                 "company without its knowledge. If your company already uses the portal, a colleague can invite "
                 "you instead, without a letter.\n\nIf you did not register, you can ignore this message.\n",
                 name=user.display_name, link=link, hours=hours)
    queue_mail(session, to=user.email, subject=subject, body=body, user_id=user.id)


def queue_already_registered(session: Session, user: User) -> None:
    """Someone typed this address, which has an account: its owner is told, and nothing else happens."""
    if user.role == Role.EMPLOYER and not user.is_confirmed:
        queue_confirmation(session, user)  # most likely its owner, who lost the first e-mail
        return
    with force_locale(user.language):
        subject = _("Someone tried to register with your e-mail address")
        body = _("Hello %(name)s,\n\nSomeone tried to register an employer on the Return to Work Fund portal with "
                 "your e-mail address. You already have an account with this address, so nothing was created or "
                 "changed.\n\nIf it was you, log in: %(login)s\nIf you forgot your password, choose a new one: "
                 "%(reset)s\nTo act for another company, ask it to invite you as its agent.\n\nIf it was not you, "
                 "you can ignore this message.\n", name=user.display_name, login=_absolute("auth.login"),
                 reset=_absolute("auth.forgot_password"))
    queue_mail(session, to=user.email, subject=subject, body=body, user_id=user.id)


def queue_registration_mail(session: Session, registered: Registered) -> None:
    if registered.created:
        queue_confirmation(session, registered.user)
    else:
        queue_already_registered(session, registered.user)
