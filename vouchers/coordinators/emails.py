"""The invitation e-mailed to a member, in the member's language, with its signed link (it needs the request
context for the link's address)."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from portal.i18n import long_date
from portal.mail import queue_mail
from vouchers.coordinators.services import invitations
from vouchers.requests.domain import INSURERS
from vouchers.requests.models import MemberInvitation


def send_member_invitation(session: Session, coordinator: Any, invitation: MemberInvitation) -> None:
    token = invitations.make_token(current_app.config["SECRET_KEY"], invitation)
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("member_invitations.accept", token=token)
    account = invitations.invitee_account(session, invitation)
    with force_locale(invitation.language):
        subject = _("Your coordinator asked the Return to Work Fund for a coaching voucher for you")
        body = _("Hello %(name)s,\n\n%(coordinator)s, return-to-work coordinator at %(insurer)s, asked the Return "
                 "to Work Fund for a coaching voucher for you, with your agreement. The fund decides within 45 days."
                 "\n\nTo follow your request yourself, answer the fund and see your voucher, open this link by "
                 "%(day)s:\n%(link)s\n\nIf you have no account with this e-mail address, the link lets you create "
                 "one. Your coordinator keeps following the request with you.\n\nIf you did not agree to this "
                 "request, tell your coordinator or the fund.\n", name=invitation.name or invitation.email,
                 coordinator=coordinator.display_name, insurer=INSURERS.get(coordinator.insurer_code or 0, ""),
                 day=long_date(invitations.expires_at(invitation).date()), link=link)
    queue_mail(session, to=invitation.email, subject=subject, body=body,
               user_id=account.id if account is not None else None)
