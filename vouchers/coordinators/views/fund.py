"""The fund's page of coordinators: who works for which mutual insurer, and inviting a new one."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.emails import queue_password_reset
from portal.auth.models import User
from portal.clock import utcnow
from portal.db import db
from portal.forms import choices
from portal.permissions import Permission, require
from portal.web import form_post, saved
from vouchers.coordinators.forms import InviteCoordinatorForm
from vouchers.coordinators.services import staff
from vouchers.requests.domain import INSURERS

bp = Blueprint("fund_coordinators", __name__)


@bp.route("/admin/fund/coordinators", methods=["GET", "POST"])
@require(Permission.ADMIN_USERS_MANAGE)
def coordinators():  # type: ignore[no-untyped-def]
    """The return-to-work coordinators of the mutual insurers; an invited one gets a link to choose a password."""
    form = InviteCoordinatorForm()
    form.insurer_code.choices = choices({0: _("Choose…"), **{code: f"{code} {name}" for code, name in INSURERS.items()}})

    def invite() -> User:
        user = staff.invite_coordinator(db.session, current_user, email=form.email.data or "",
                                        first_name=form.first_name.data or "", last_name=form.last_name.data or "",
                                        insurer_code=form.insurer_code.data, language=form.language.data or "fr",
                                        now=utcnow())
        queue_password_reset(db.session, user)  # the invitation: its link sets the password and confirms the address
        return user

    return form_post(form, invite,
                     done=lambda user: saved(_("%(email)s is invited by e-mail as a return-to-work coordinator.",
                                               email=user.email), url_for(".coordinators")),
                     again=lambda status: (render_template(
                         "coordinators/fund_list.html", form=form, insurers=INSURERS,
                         rows=staff.list_coordinators(db.session, current_user)), status))
