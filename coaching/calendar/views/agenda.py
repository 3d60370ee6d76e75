"""The beneficiary's coaching pages: agenda, confirming or disputing logged sessions.

Times are shown in Belgian time. The coach's note is shown here because it is the
beneficiary's own session (only the provider and the beneficiary may read it).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.calendar.services import sessions as session_services
from coaching.disputes import late
from coaching.disputes.forms import DISPUTE_STATUS_LABELS, DisputeForm
from coaching.disputes.models import SessionDispute
from coaching.providers.models import Coach, Provider
from portal.clock import utcnow
from portal.db import db
from portal.forms import ActionForm
from portal.permissions import Permission, require
from portal.web import form_post, saved
from vouchers.requests.models import Beneficiary, Voucher

bp = Blueprint("agenda", __name__)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    # Formatters and session labels come to every template (portal.create_app, coaching.templating).
    return {"dispute_status_labels": DISPUTE_STATUS_LABELS}


def _my_seats() -> list[dict[str, Any]]:
    """The beneficiary's own places in sessions that were not cancelled, soonest first."""
    query = (select(SessionSeat, CoachingSession, Coach.display_name, Provider.name, SessionDispute.status)
             .join(CoachingSession, CoachingSession.id == SessionSeat.session_id)
             .outerjoin(SessionDispute, SessionDispute.seat_id == SessionSeat.id)
             .join(Voucher, Voucher.id == SessionSeat.voucher_id)
             .join(Beneficiary, Beneficiary.id == Voucher.beneficiary_id)
             .join(Coach, Coach.id == CoachingSession.coach_id)
             .join(Provider, Provider.id == CoachingSession.provider_id)
             .where(Beneficiary.user_id == current_user.id, CoachingSession.status != "cancelled")
             .order_by(CoachingSession.starts_at))
    return [{"seat": seat, "booked": booked, "coach": coach, "provider": provider, "dispute_status": dispute}
            for seat, booked, coach, provider, dispute in db.session.execute(query)]


def _agenda_page(dispute: tuple[int, DisputeForm] | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    items = _my_seats()
    upcoming = [i for i in items if i["booked"].status == "scheduled"]
    waiting = [i for i in items if i["seat"].attendance and i["seat"].confirmation == "pending"]
    answered = [i for i in reversed(items) if i["seat"].confirmation in ("confirmed", "disputed")]
    now = utcnow()  # after the day to answer, a disagreement is written to the provider instead
    too_late = {i["seat"].id for i in items if late.answer_period_over(i["seat"], now=now)}
    return render_template("coaching/beneficiary/agenda.html", upcoming=upcoming, waiting=waiting, answered=answered,
                           dispute=dispute, too_late=too_late), status


def _own_session_or_404(session_id: int) -> None:
    if not any(item["booked"].id == session_id for item in _my_seats()):
        abort(404)


@bp.route("/my/sessions")
@require(Permission.SESSION_CONFIRM)
def agenda():  # type: ignore[no-untyped-def]
    """Upcoming sessions, logged sessions waiting for an answer, and past answers."""
    return _agenda_page()


@bp.route("/my/sessions/<int:session_id>/confirm", methods=["POST"])
@require(Permission.SESSION_CONFIRM)
def confirm(session_id: int):  # type: ignore[no-untyped-def]
    """Yes, this session took place as logged: the provider may then claim it."""
    # A bare button (its token is checked for every POST): a refusal (404 / 409) goes to the error page.
    return form_post(ActionForm(), lambda: session_services.confirm_session(db.session, current_user, session_id,
                                                                            now=utcnow()),
                     errors=(), done=lambda _r: saved(_("Thank you. The session is confirmed."), url_for(".agenda")),
                     again=lambda _status: redirect(url_for(".agenda")))


@bp.route("/my/sessions/<int:session_id>/dispute", methods=["POST"])
@require(Permission.SESSION_CONFIRM)
def dispute(session_id: int):  # type: ignore[no-untyped-def]
    """No, something is wrong: the provider looks at it first, then the fund. After the day to answer, the words
    go to the provider as a message (the session stays confirmed)."""
    _own_session_or_404(session_id)
    form = DisputeForm()
    return form_post(form, lambda: late.dispute_or_write(db.session, current_user, session_id, form.reason.data or "",
                                                         now=utcnow()),
                     done=lambda answer: saved(
                         _("Your message is sent to your coaching provider. The session still counts as confirmed.")
                         if answer.late else
                         _("Your disagreement is sent to the provider. The session cannot be paid until it is "
                           "settled."), url_for(".agenda")),
                     again=lambda status: _agenda_page(dispute=(session_id, form), status=status))
