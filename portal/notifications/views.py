"""The person's notifications page, marking them read, and which kinds they want."""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.clock import utcnow
from portal.db import db
from portal.notifications import services
from portal.notifications.forms import ChoicesForm, MarkReadForm
from portal.notifications.models import Notification
from portal.web import form_post, page_arg, safe_next, saved

bp = Blueprint("notifications", __name__)
PAGE = 30


@bp.route("/notifications")
@login_required
def index():  # type: ignore[no-untyped-def]
    """Newest first; unread ones stand out, each with the link to the page where the person acts."""
    unread_only = request.args.get("unread") == "1"
    rows = services.notifications_of(db.session, current_user.id, unread_only=unread_only, limit=PAGE + 1,
                                     before_id=page_arg())
    notices = [(notice, services.render(notice)) for notice in rows[:PAGE]]
    return render_template("notifications/index.html", notices=notices, unread_only=unread_only,
                           older=rows[PAGE - 1].id if len(rows) > PAGE else None, form=MarkReadForm())


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_notice(notification_id: int):  # type: ignore[no-untyped-def]
    """Mark it read and go to its page: the one step a person takes from the list."""
    def mark_read() -> Notification:
        notice = services.mark_read(db.session, current_user.id, notification_id, now=utcnow())
        if notice is None:
            abort(404)
        return notice

    return form_post(MarkReadForm(), mark_read, errors=(), again=_bad_request,
                     done=lambda notice: redirect(safe_next(services.render(notice).link, "notifications.index")))


def _bad_request(status: int) -> NoReturn:
    """The buttons of the list carry only a token: a post that fails its check is malformed."""
    abort(400)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def read_all():  # type: ignore[no-untyped-def]
    return form_post(MarkReadForm(), lambda: services.mark_all_read(db.session, current_user.id, now=utcnow()),
                     errors=(), again=_bad_request,
                     done=lambda count: saved(_("All your notifications are marked as read."),
                                              url_for("notifications.index")))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():  # type: ignore[no-untyped-def]
    """Which kinds this person receives. Decisions and deadlines are always sent, so they are not listed."""
    optional = services.optional_kinds_for(current_user.role)
    form = ChoicesForm()
    form.wanted.choices = [(kind.name, _(kind.label)) for kind in optional]

    def page(status: int) -> str:
        if request.method == "GET":
            off = services.opted_out_kinds(db.session, current_user.id)
            form.wanted.data = [kind.name for kind in optional if kind.name not in off]
        return render_template("notifications/settings.html", form=form)  # a failed post too answers 200

    return form_post(form, lambda: services.keep_only(db.session, current_user, set(form.wanted.data or [])),
                     errors=(), again=page,
                     done=lambda kept: saved(_("Your choices are saved."), url_for("notifications.settings")))
