"""The front page, the language switch and the account page."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from portal.auth.forms import LanguageForm
from portal.db import db
from portal.i18n import LANGUAGE_COOKIE, LANGUAGE_COOKIE_SECONDS
from portal.mail import commit
from portal.permissions import Permission, require
from portal.public_cache import public_page
from portal.web import safe_next

bp = Blueprint("main", __name__)


# Where each role starts once logged in.
ROLE_HOME = {"beneficiary": "vouchers.dashboard", "fund_admin": "decisions.queue",
             "provider_admin": "providers.vouchers", "coach": "calendar.week",
             "employer": "employers.dashboard", "coordinator": "coordinators.caseload"}


@bp.route("/")
@public_page
def home():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated and current_user.role in ROLE_HOME:
        return redirect(url_for(ROLE_HOME[current_user.role]))
    return render_template("main/home.html")


@bp.route("/language", methods=["POST"])
def set_language():  # type: ignore[no-untyped-def]
    """The visible switch: the choice is kept for the session and, when logged in, on the account."""
    form = LanguageForm()
    lang = form.lang.data if form.validate_on_submit() else None
    if lang in current_app.config["UI_LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.language = lang
            commit()
    return redirect(safe_next(request.form.get("next")))


@bp.get("/language")
def set_visitor_language():  # type: ignore[no-untyped-def]
    """The switch for visitors who are not logged in: a cookie, not a session, so public pages stay cacheable.

    It changes nothing stored on the server, so it needs no CSRF token."""
    response = redirect(safe_next(request.args.get("next")))
    lang = request.args.get("lang")
    if lang in current_app.config["UI_LANGUAGES"]:
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=LANGUAGE_COOKIE_SECONDS, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.route("/healthz")
def health():  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/admin/scheduler")
@require(Permission.ADMIN_SCHEDULER_VIEW)
def scheduler_status():  # type: ignore[no-untyped-def]
    """Each job's last run, its result and when it runs next."""
    from portal.clock import utcnow
    from portal.scheduler import last_runs, load_jobs, next_run_hint

    jobs = load_jobs()
    runs = last_runs(db.session)
    now = utcnow()
    rows = [{"job": job, "run": runs.get(name), "next": _when_it_runs(job.trigger) or next_run_hint(job, now)}
            for name, job in sorted(jobs.items())]
    return render_template("main/scheduler.html", rows=rows)


def _when_it_runs(trigger: dict[str, Any]) -> str | None:
    """"Every 2 minutes", "every day at 07:30", in the reader's language; None for a trigger it cannot say."""
    from datetime import time

    from flask_babel import format_time, gettext, ngettext

    rest = dict(trigger)
    kind = rest.pop("trigger", "interval")
    if kind == "interval" and set(rest) == {"minutes"}:
        return ngettext("every minute", "every %(num)d minutes", rest["minutes"])
    if kind == "interval" and set(rest) == {"hours"}:
        return ngettext("every hour", "every %(num)d hours", rest["hours"])
    if kind == "cron" and set(rest) <= {"hour", "minute"}:
        return gettext("every day at %(time)s", time=format_time(time(rest.get("hour", 0), rest.get("minute", 0)),
                                                                 "short"))
    return None
