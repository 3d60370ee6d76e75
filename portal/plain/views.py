"""The easy-words switch: on or off, then back to the page the person was reading."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.mail import commit
from portal.plain.reading import COOKIE, COOKIE_SECONDS, offered
from portal.web import safe_next

bp = Blueprint("plain", __name__)


@bp.route("/easy-words", methods=["POST"])
def switch():  # type: ignore[no-untyped-def]
    """A logged-in person's choice (the form carries a CSRF token): kept on the account, so that the e-mails follow
    it, and on this device, so that it stays after logging out."""
    back = redirect(safe_next(request.form.get("next")))
    if not offered():  # staff pages have no plain version: nothing to keep
        return back
    on = request.form.get("on") == "1"
    if current_user.is_authenticated and current_user.plain_language != on:
        current_user.plain_language = on
        commit()
    return _remembered(back, on)


@bp.get("/easy-words")
def visitor_switch():  # type: ignore[no-untyped-def]
    """A visitor's choice: a cookie, not a session, so that public pages stay the same for everyone and cacheable
    (as the language switch). It changes nothing stored on the server, so it needs no CSRF token."""
    return _remembered(redirect(safe_next(request.args.get("next"))), request.args.get("on") == "1")


def _remembered(response: Response, on: bool) -> Response:
    if on:
        response.set_cookie(COOKIE, "1", max_age=COOKIE_SECONDS, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    else:
        response.delete_cookie(COOKIE, httponly=True, samesite="Lax",
                               secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
