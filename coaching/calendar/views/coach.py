"""A coach's week: booking, logging and cancelling sessions, and the calendar feed's link."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import (
    gettext as translate,  # for messages held in variables (not extracted)
)
from flask_login import current_user
from sqlalchemy import select

from coaching.availability import services as availability_services
from coaching.calendar.forms import LogForm, ScheduleForm, SeatForm, log_form_class
from coaching.calendar.ical import reset_calendar_token, week_bounds, week_with_people
from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.calendar.services import seats as seat_services
from coaching.calendar.services import sessions as session_services
from coaching.calendar.week_grid import holidays_of_week, week_grid
from coaching.providers.models import Coach
from coaching.providers.services import offers as offer_services
from portal import audit
from portal.auth.models import User
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import N_, ValidationFailed
from portal.formats import time_text
from portal.forms import ActionForm, choices
from portal.fund_settings import rules_on
from portal.mail import commit
from portal.permissions import Permission, Role, can, require
from portal.schema_fields import MAX_ID, id_from_text
from vouchers.requests.models import Beneficiary, Voucher

bp = Blueprint("calendar", __name__)
from coaching.providers.services.providers import active_coaches
from portal.i18n import hours, person_name
from portal.web import form_post, saved


def duration_choices(kind: str | None = None) -> list[Any]:
    rules = rules_on(db.session, today_in_brussels())
    individual = range(rules.individual_session_min_minutes, rules.individual_session_max_minutes + 1,
                       rules.session_step_minutes)
    options: dict[int, str] = {}
    if kind in (None, "individual"):
        options.update({m: _("%(h)s h (%(m)s minutes)", h=hours(m), m=m) for m in individual})
    if kind in (None, "collective"):
        minutes = rules.collective_session_minutes
        options[minutes] = _("%(h)s h (%(m)s minutes, group session)", h=hours(minutes), m=minutes)
    return choices(options)


def _seat_rows(session_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The seats of these sessions with the voucher code and the beneficiary's name, per session."""
    rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not session_ids:
        return rows
    query = (select(SessionSeat, Voucher.code, User)
             .join(Voucher, Voucher.id == SessionSeat.voucher_id)
             .join(Beneficiary, Beneficiary.id == Voucher.beneficiary_id)
             .join(User, User.id == Beneficiary.user_id)
             .where(SessionSeat.session_id.in_(session_ids)).order_by(SessionSeat.voucher_id))
    for seat, code, user in db.session.execute(query):
        rows[seat.session_id].append({"seat": seat, "voucher_id": seat.voucher_id, "code": code,
                                      "name": person_name(user)})
    return rows


def calendar_url(coach: Coach) -> str:
    """The secret iCalendar feed URL, as the API gives it."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/api/v1/coaches/{coach.id}/calendar.ics?token={coach.calendar_token}"


def _day_from_query() -> date:
    try:
        return date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return today_in_brussels()


def _staff() -> list[Coach]:
    """The coaches whose weeks the person sees and books: a coach their own; an administrator the provider's
    active coaches, by name."""
    if current_user.role == Role.COACH:
        own = offer_services.coach_for_user(db.session, current_user)
        return [own] if own is not None else []
    return active_coaches(db.session, current_user.provider_id)


def _viewed_coach(coach_id: int | None, staff: list[Coach]) -> Coach | None:
    """A coach sees their own calendar; a provider administrator one of the provider's coaches (an inactive
    one too, when asked by id)."""
    if coach_id and not 0 < coach_id <= MAX_ID:
        abort(404)  # no coach has it, and the database could not even compare it
    if coach_id:
        listed = next((coach for coach in staff if coach.id == coach_id), None)
        return listed or offer_services.get_coach(db.session, current_user, coach_id)  # someone else's: 404
    if current_user.role == Role.COACH and not staff:
        abort(404)
    return staff[0] if staff else None


def local_to_utc(day: date, start: time, tz: str) -> datetime:
    """The coach's wall-clock time on that day as an aware UTC instant.

    A time that does not exist (the hour skipped when clocks go forward) is refused rather than
    silently moved; in the repeated hour of autumn the first occurrence is meant.
    """
    zone = ZoneInfo(tz)
    wall = datetime.combine(day, start)
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        raise ValidationFailed(N_("This time does not exist on that day: the clocks change."),
                               fields={"start_time": [N_("This time does not exist on that day: the clocks change.")]})
    return instant


VOUCHER_CHOICES = 25  # vouchers listed in the booking form; the others are found by code or name


def _voucher_search() -> str:
    return " ".join(request.args.get("find", "").split())[:100]


def _chosen_voucher_ids() -> list[int]:
    """The vouchers a sent booking form ticked (found by a search, so maybe not among the newest)."""
    return [voucher_id for value in request.form.getlist("voucher_ids")[:50]
            if (voucher_id := id_from_text(value)) is not None]


def _start_from_query() -> time | None:
    """The start of a free hour clicked on the grid (``start=09:00``); anything else is no start."""
    try:
        start = time.fromisoformat(request.args.get("start", "")[:5])
    except ValueError:
        return None
    return start


def _schedule_form(coach: Coach | None, day: date, staff: list[Coach], *, search: str = "",
                   chosen: list[int] | None = None, start: time | None = None) -> ScheduleForm:
    form = ScheduleForm(data={"coach_id": coach.id if coach else None, "start_on": day,
                              "start_time": start or time(9, 0), "duration_minutes": 60})
    form.coach_id.choices = choices({c.id: c.display_name for c in staff})
    listed = offer_services.schedulable_vouchers(db.session, current_user, search=search, limit=VOUCHER_CHOICES)
    if chosen:
        listed = offer_services.schedulable_vouchers(db.session, current_user, ids=chosen, limit=len(chosen)) + [
            v for v in listed if v.id not in chosen]
    form.voucher_ids.choices = choices({v.id: f"{v.code} · {v.beneficiary_name}" for v in listed})
    form.duration_minutes.choices = duration_choices()
    return form


def _week_page(coach: Coach | None, day: date, staff: list[Coach],  # type: ignore[no-untyped-def]
               form: ScheduleForm | None, status: int = 200, search: str = ""):
    """The week; the booking form only when asked for (``schedule``, a voucher search, a form sent back)."""
    found = {"find": search, "voucher_choices": VOUCHER_CHOICES, "can_book": bool(staff)}
    if coach is None:
        return render_template("coaching/staff/week.html", coach=None, form=form, **found), status
    start, end = week_bounds(day, coach.timezone)
    now = utcnow()
    days = [start.date() + timedelta(days=n) for n in range(7)]
    people: dict[int, list[str]] = {}
    booked = []
    for item, names in week_with_people(db.session, coach.id, start, end):
        booked.append(item)
        people[item.id] = names
    weekly, exceptions = availability_services.rules_between(db.session, coach, days[0], days[-1])
    rules = rules_on(db.session, today_in_brussels(now))
    grid = week_grid(day, tz=coach.timezone, weekly=weekly, exceptions=exceptions, sessions=booked, now=now,
                     slot_minutes=rules.individual_session_min_minutes, step_minutes=rules.session_step_minutes,
                     holidays=holidays_of_week(day, str(get_locale())))
    coaches = staff if current_user.role != Role.COACH else [coach]
    return render_template(
        "coaching/staff/week.html", coach=coach, coaches=coaches, days=days, grid=grid, people=people,
        today=now.astimezone(ZoneInfo(coach.timezone)).date(), form=form, wall_time=_wall_time,
        previous_day=days[0] - timedelta(days=7), next_day=days[0] + timedelta(days=7),
        day_before=day - timedelta(days=1), day_after=day + timedelta(days=1), calendar_url=calendar_url(coach),
        can_reset=can(current_user, Permission.CALENDAR_MANAGE), **found), status


def _wall_time(value: time) -> str:
    """A wall-clock time of the grid (a free hour, an hour's label) as the page's language writes it."""
    return time_text(get_locale(), value)


@bp.route("/coach/week")
@require(Permission.SESSION_SCHEDULE)
def week():  # type: ignore[no-untyped-def]
    """A coach's week, Monday to Sunday in the coach's own time zone; the form to book a session when asked for
    (``?schedule=1``, or a voucher search), so that the week itself reads only what it shows."""
    day = _day_from_query()
    staff = _staff()
    coach = _viewed_coach(request.args.get("coach_id", type=int), staff)
    search = _voucher_search()
    booking = bool(search or request.args.get("schedule"))
    form = _schedule_form(coach, day, staff, search=search, start=_start_from_query()) if booking and staff else None
    return _week_page(coach, day, staff, form, search=search)


@bp.route("/coach/sessions", methods=["POST"])
@require(Permission.SESSION_SCHEDULE)
def schedule():  # type: ignore[no-untyped-def]
    """Book a session from the week view; a double booking or an exhausted voucher shows the form again."""
    staff = _staff()
    form = _schedule_form(None, today_in_brussels(), staff, chosen=_chosen_voucher_ids())

    def book() -> tuple[Coach, list[dict[str, str]]]:
        coach = offer_services.get_coach(db.session, current_user, form.coach_id.data)
        plan = session_services.SessionPlan(
            coach_id=coach.id, kind=form.kind.data, voucher_ids=list(form.voucher_ids.data),
            starts_at=local_to_utc(form.start_on.data, form.start_time.data, coach.timezone),
            duration_minutes=form.duration_minutes.data, mode=form.mode.data,
            capacity=form.capacity.data if form.kind.data == "collective" else None,
            location=(form.location.data or "").strip(), theme=(form.theme.data or "").strip())
        booked = session_services.schedule_session(db.session, current_user, plan, now=utcnow())
        return coach, availability_services.booking_warnings(db.session, booked)

    def scheduled(result: tuple[Coach, list[dict[str, str]]]):  # type: ignore[no-untyped-def]
        coach, warnings = result
        response = saved(_("The session is scheduled."), url_for(".week", coach_id=coach.id,
                                                                 day=form.start_on.data.isoformat()))
        for warning in warnings:
            flash(translate(warning["message"]), "warning")  # an N_ message of the availability rules
        return response

    def again(status: int):  # type: ignore[no-untyped-def]
        known = {choice.value for choice in form.coach_id.choices}
        coach = _viewed_coach(form.coach_id.data if form.coach_id.data in known else None, staff)
        return _week_page(coach, form.start_on.data or today_in_brussels(), staff, form, status)

    return form_post(form, book, done=scheduled, again=again, aliases={"starts_at": "start_time"})


@bp.route("/coach/calendar/<int:coach_id>/reset", methods=["POST"])
@require(Permission.CALENDAR_MANAGE)
def reset_calendar(coach_id: int):  # type: ignore[no-untyped-def]
    """A new secret calendar link; subscriptions with the old one stop."""
    return _button(lambda: reset_calendar_token(db.session, current_user, coach_id, now=utcnow()),
                   _("The calendar link is reset. Subscribe again with the new link."),
                   url_for(".week", coach_id=coach_id))


def _button(action: Callable[[], object], message: str, target: str):  # type: ignore[no-untyped-def]
    """A button with only its CSRF token: done, or (token gone) back without a word; a refusal goes to the error
    page."""
    return form_post(ActionForm(), action, errors=(), done=lambda _r: saved(message, target),
                     again=lambda _status: redirect(target))


def _log_form(booked: CoachingSession, seats: list[dict[str, Any]]) -> LogForm:
    form_class = log_form_class([(row["voucher_id"], f"{row['name']} ({row['code']})") for row in seats])
    form = form_class(data={"duration_minutes": booked.duration_minutes})
    form.duration_minutes.choices = duration_choices(booked.kind)
    return form


def _session_page(booked: CoachingSession, seats: list[dict[str, Any]], form: LogForm,  # type: ignore[no-untyped-def]
                  status: int = 200, seat_form: SeatForm | None = None):
    coach = db.session.get(Coach, booked.coach_id)
    tz = coach.timezone if coach else "Europe/Brussels"
    if booked.kind == "collective" and booked.status == "scheduled" and len(seats) < booked.capacity:
        seat_form = seat_form or SeatForm()
        seated = {row["voucher_id"] for row in seats}
        listed = offer_services.schedulable_vouchers(db.session, current_user, limit=VOUCHER_CHOICES)
        seat_form.voucher_id.choices = choices({v.id: f"{v.beneficiary_name} · {v.code}" for v in listed
                                                if v.id not in seated})
    else:
        seat_form = None
    return render_template("coaching/staff/session.html", booked=booked, coach=coach, seats=seats, form=form, tz=tz,
                           seat_form=seat_form, started=booked.starts_at <= utcnow(), today_on=today_in_brussels(),
                           local_start_on=booked.starts_at.astimezone(ZoneInfo(tz)).date()), status


@bp.route("/coach/sessions/<int:session_id>/seats", methods=["POST"])
@require(Permission.SESSION_SCHEDULE)
def add_seat(session_id: int):  # type: ignore[no-untyped-def]
    """One more beneficiary in a planned group session (places, balance and validity are checked)."""
    booked = session_services.get_session_for_staff(db.session, current_user, session_id)
    seats = _seat_rows([booked.id])[booked.id]
    form = SeatForm()
    _session_page(booked, seats, _log_form(booked, seats), seat_form=form)  # fills the form's choices
    return form_post(form, lambda: seat_services.add_seat(db.session, current_user, booked.id, form.voucher_id.data,
                                                           now=utcnow()),
                     done=lambda _seat: saved(_("The beneficiary has a seat in this session and is told."),
                                              url_for(".session_detail", session_id=session_id)),
                     again=lambda status: _session_page(booked, _seat_rows([booked.id])[booked.id],
                                                        _log_form(booked, seats), status, form),
                     aliases={"voucher_ids": "voucher_id"})


@bp.route("/coach/sessions/<int:session_id>/seats/<int:voucher_id>/remove", methods=["POST"])
@require(Permission.SESSION_SCHEDULE)
def remove_seat(session_id: int, voucher_id: int):  # type: ignore[no-untyped-def]
    """Take a beneficiary out of a planned group session; what it booked on their voucher is released."""
    return _button(lambda: seat_services.remove_seat(db.session, current_user, session_id, voucher_id, now=utcnow()),
                   _("The beneficiary no longer has a seat in this session and is told."),
                   url_for(".session_detail", session_id=session_id))


@bp.route("/coach/sessions/<int:session_id>")
@require(Permission.SESSION_LOG)
def session_detail(session_id: int):  # type: ignore[no-untyped-def]
    booked = session_services.get_session_for_staff(db.session, current_user, session_id)
    seats = _seat_rows([booked.id])[booked.id]
    if booked.note:
        # The note is sensitive (it may touch on health): each read by staff is logged.
        audit.record_read(db.session, actor=current_user, object_type="coaching_session", object_id=booked.id,
                          now=utcnow())
        commit()
    return _session_page(booked, seats, _log_form(booked, seats))


@bp.route("/coach/sessions/<int:session_id>/log", methods=["POST"])
@require(Permission.SESSION_LOG)
def log_session(session_id: int):  # type: ignore[no-untyped-def]
    """Who came, the real duration and a short neutral note; the beneficiaries then confirm."""
    booked = session_services.get_session_for_staff(db.session, current_user, session_id)
    form = _log_form(booked, _seat_rows([booked.id])[booked.id])
    return form_post(form, lambda: session_services.log_session(db.session, current_user, booked.id,
                                                                form.attendance_data(), form.duration_minutes.data,
                                                                form.note.data, now=utcnow()),
                     done=lambda _r: saved(_("The session is logged. The beneficiary is asked to confirm it."),
                                           url_for(".session_detail", session_id=session_id)),
                     again=lambda status: _session_page(booked, _seat_rows([booked.id])[booked.id], form, status))


@bp.route("/coach/sessions/<int:session_id>/cancel", methods=["POST"])
@require(Permission.SESSION_SCHEDULE)
def cancel_session(session_id: int):  # type: ignore[no-untyped-def]
    """Cancel a scheduled session: its hours and euros are released from the vouchers."""
    booked = session_services.get_session_for_staff(db.session, current_user, session_id)
    return _button(lambda: session_services.cancel_session(db.session, current_user, booked.id, now=utcnow()),
                   _("The session is cancelled."), url_for(".session_detail", session_id=session_id))  # 409 once logged
