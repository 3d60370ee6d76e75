"""Pages for provider staff and coaches: vouchers, offers, coaches, the week view, logging, claims.

Each view loads (404 for someone else's object), authorizes, validates, calls a service, commits
once and redirects. A refused form (422) or a refused action such as a double booking (409) shows
the page again with what was typed and the reason next to the field. The JSON API
(``coaching.staff_api``) runs the same services.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import gettext as translate  # for messages held in variables (not extracted)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import Field

from coaching.calendar import sessions_between, week_bounds
from coaching.domain import STANDARD_MIXES
from coaching.models import ClaimLine, Coach, CoachingSession, Offer, SessionSeat
from coaching.presenters import provider_voucher_page, provider_voucher_rows
from coaching.services import availability as availability_services
from coaching.services import claims as claim_services
from coaching.services import offers as offer_services
from coaching.services import sessions as session_services
from coaching.services.calendar_tokens import reset_calendar_token
from coaching.staff_forms import (
    ATTENDANCE_LABELS,
    CLAIM_STATUS_LABELS,
    CONFIRMATION_LABELS,
    KIND_LABELS,
    MODE_LABELS,
    SESSION_STATUS_LABELS,
    AcceptForm,
    ActionForm,
    ClaimForm,
    CoachForm,
    LogForm,
    OfferForm,
    ScheduleForm,
    StandardOfferForm,
    log_form_class,
)
from coaching.usage import usage_totals
from portal import audit
from portal.auth.emails import queue_password_reset
from portal.auth.models import User
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import N_, Conflict, DomainError, ValidationFailed
from portal.forms import choices
from portal.fund_settings import rules_on
from portal.mail import commit
from portal.permissions import Permission, Role, can, require
from portal.private_cache import private_page
from portal.web import attach_errors
from vouchers.models import Beneficiary, Voucher
from vouchers.services import vouchers as voucher_services

bp = Blueprint("coaching_staff", __name__)

#: Errors a person can fix on the same page; 403/404 go to the error pages.
FORM_ERRORS = (ValidationFailed, Conflict)


# --- shared helpers -------------------------------------------------------------------------


def local_datetime(value: datetime | None, tz: str = "Europe/Brussels", fmt: str = "medium") -> str:
    """An instant as a person reads it in ``tz`` (the coach's zone, or Belgium's for beneficiaries)."""
    if value is None:
        return ""
    zone = ZoneInfo(tz)
    local = value.astimezone(zone)
    locale = str(get_locale())
    return _("%(day)s at %(time)s", day=format_date(local.date(), fmt, locale=locale),
             time=format_time(local, "short", tzinfo=zone, locale=locale))


def local_time(value: datetime, tz: str = "Europe/Brussels") -> str:
    return format_time(value, "short", tzinfo=ZoneInfo(tz), locale=str(get_locale()))


def local_day(value: date, fmt: str = "full") -> str:
    return format_date(value, fmt, locale=str(get_locale()))


def hours(minutes: int) -> str:
    """90 -> "1.5", 120 -> "2": hours for people, from integer minutes."""
    whole, rest = divmod(minutes, 60)
    return str(whole) if not rest else f"{minutes / 60:g}"


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"local_datetime": local_datetime, "local_time": local_time, "local_day": local_day, "hours": hours,
            "kind_labels": KIND_LABELS, "mode_labels": MODE_LABELS, "attendance_labels": ATTENDANCE_LABELS,
            "confirmation_labels": CONFIRMATION_LABELS, "session_status_labels": SESSION_STATUS_LABELS,
            "claim_status_labels": CLAIM_STATUS_LABELS}


def refused(form: FlaskForm, error: DomainError, aliases: dict[str, str] | None = None) -> int:
    """Undo what the service flushed, put its reasons on the form, and return the page's status."""
    db.session.rollback()
    if aliases:
        error.fields = {aliases.get(name, name): problems for name, problems in error.fields.items()}
    attach_errors(form, error)
    headline = _(error.message)
    if headline not in form.form_errors:
        form.form_errors.insert(0, headline)
    for name, problems in error.fields.items():  # reasons about no one field (the cost, the mix)
        if not isinstance(getattr(form, name, None), Field):
            form.form_errors.extend(_(p) for p in problems if _(p) not in form.form_errors)
    return error.status


def _status(form: FlaskForm) -> int:
    return 422 if form.is_submitted() else 200


def _person(user: User | None) -> str:
    return user.display_name if user is not None else ""


def _provider_coaches() -> list[Coach]:
    return list(db.session.scalars(select(Coach).where(Coach.provider_id == current_user.provider_id,
                                                       Coach.active.is_(True)).order_by(Coach.display_name)))


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
                                      "name": _person(user)})
    return rows


# --- vouchers -------------------------------------------------------------------------------


def _voucher_row(voucher: Voucher) -> dict[str, Any]:
    return provider_voucher_rows(db.session, current_user, [voucher])[0]


@bp.route("/provider/vouchers")
@require(Permission.PROVIDER_VOUCHERS_VIEW)
@private_page
def vouchers():  # type: ignore[no-untyped-def]
    """The provider's vouchers, and those waiting for it to accept a change of provider, 50 a page."""
    cursor = request.args.get("cursor") or None
    page_size = current_app.config.get("PROVIDER_VOUCHERS_PAGE_SIZE", 50)
    try:
        rows, next_cursor = provider_voucher_page(db.session, current_user, cursor=cursor, limit=page_size)
    except ValidationFailed:
        flash(_("This page link is not valid any more. Here is the first page."), "error")
        cursor = None
        rows, next_cursor = provider_voucher_page(db.session, current_user, limit=page_size)
    return render_template("coaching/staff/vouchers.html", rows=rows,
                           first_url=url_for(".vouchers") if cursor is not None else None,
                           next_url=next_cursor and url_for(".vouchers", cursor=next_cursor))


def _accept_form(voucher: Voucher) -> AcceptForm:
    form = AcceptForm(data={"offer_id": voucher.offer_id} if voucher.provider_id == current_user.provider_id else None)
    offers = [o for o in offer_services.provider_offers(db.session, current_user) if o.active]
    form.offer_id.choices = choices({o.id: _offer_label(o) for o in offers})
    return form


def _offer_label(offer: Offer) -> str:
    return _("%(name)s: %(h)s h individual + %(n)s group sessions", name=offer.name, h=offer.individual_hours,
             n=offer.collective_sessions)


@dataclass
class Left:
    """What a voucher has delivered, booked and left, in the units of its mix."""

    individual_minutes: dict[str, int] = field(default_factory=dict)
    collective_sessions: dict[str, int] = field(default_factory=dict)


def _balance(voucher: Voucher) -> Left | None:
    if voucher.individual_hours is None:
        return None
    totals = usage_totals(db.session, voucher.id)
    minutes = voucher.individual_hours * 60
    groups = voucher.collective_sessions or 0
    return Left(
        individual_minutes={"planned": minutes, "delivered": totals.individual_minutes,
                            "booked": totals.scheduled_individual_minutes,
                            "left": max(0, minutes - totals.individual_minutes - totals.scheduled_individual_minutes)},
        collective_sessions={"planned": groups, "delivered": totals.collective_sessions,
                             "booked": totals.scheduled_collective_sessions,
                             "left": max(0, groups - totals.collective_sessions
                                         - totals.scheduled_collective_sessions)})


def _voucher_sessions(voucher: Voucher) -> list[tuple[SessionSeat, CoachingSession, Coach]]:
    query = (select(SessionSeat, CoachingSession, Coach)
             .join(CoachingSession, CoachingSession.id == SessionSeat.session_id)
             .join(Coach, Coach.id == CoachingSession.coach_id)
             .where(SessionSeat.voucher_id == voucher.id, CoachingSession.provider_id == current_user.provider_id)
             .order_by(CoachingSession.starts_at))
    if current_user.role == Role.COACH:  # a coach opens only their own sessions
        query = query.where(Coach.user_id == current_user.id)
    return [tuple(row) for row in db.session.execute(query)]  # type: ignore[misc]


def _voucher_page(voucher: Voucher, form: AcceptForm, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("coaching/staff/voucher.html", voucher=_voucher_row(voucher), balance=_balance(voucher),
                           sessions=_voucher_sessions(voucher), form=form,
                           can_accept=can(current_user, Permission.PROVIDER_VOUCHERS_ACCEPT)), status


@bp.route("/provider/vouchers/<int:voucher_id>")
@require(Permission.PROVIDER_VOUCHERS_VIEW)
def voucher(voucher_id: int):  # type: ignore[no-untyped-def]
    voucher = voucher_services.get_voucher(db.session, current_user, voucher_id)
    return _voucher_page(voucher, _accept_form(voucher))


@bp.route("/provider/vouchers/<int:voucher_id>/accept", methods=["POST"])
@require(Permission.PROVIDER_VOUCHERS_ACCEPT)
def accept_voucher(voucher_id: int):  # type: ignore[no-untyped-def]
    """Accept the voucher (also after a change of provider) and fix its mix, or re-plan it later."""
    voucher = voucher_services.get_voucher(db.session, current_user, voucher_id)
    form, status = _accept_form(voucher), 422
    replanning = voucher.individual_hours is not None and voucher.provider_id == current_user.provider_id
    if form.validate_on_submit():
        try:
            now = utcnow()
            if voucher.pending_provider_id == current_user.provider_id:
                voucher_services.accept_provider_change(db.session, current_user, voucher.id, now=now)
            offer_services.accept_voucher(db.session, current_user, voucher.id, form.offer_id.data, now=now)
        except FORM_ERRORS as error:
            status = refused(form, error)
        else:
            commit()
            flash(_("The mix is re-planned.") if replanning else _("The voucher is accepted and its mix is fixed."),
                  "success")
            return redirect(url_for(".voucher", voucher_id=voucher_id))
    return _voucher_page(voucher, form, status)


# --- offers ---------------------------------------------------------------------------------


def _standard_key(individual_hours: int, collective_sessions: int) -> str:
    return f"{individual_hours}-{collective_sessions}"


def _standard_form() -> StandardOfferForm:
    form = StandardOfferForm()
    form.mix.choices = choices({_standard_key(m.individual_hours, m.collective_sessions): m.individual_hours
                                for m in STANDARD_MIXES})
    return form


def _offer_form() -> OfferForm:
    rules = rules_on(db.session, today_in_brussels())
    return OfferForm(data={"individual_unit_cents": rules.default_individual_unit_cents,
                           "collective_unit_cents": rules.default_collective_unit_cents})


def _offers_page(form: OfferForm | None = None, standard: StandardOfferForm | None = None,  # type: ignore[no-untyped-def]
                 status: int = 200):
    rules = rules_on(db.session, today_in_brussels())
    mixes = [{"key": _standard_key(m.individual_hours, m.collective_sessions), "mix": m,
              "total_hours": hours(m.total_minutes(rules)),
              "cost_cents": m.individual_hours * rules.default_individual_unit_cents
              + m.collective_sessions * rules.default_collective_unit_cents} for m in STANDARD_MIXES]
    return render_template("coaching/staff/offers.html",
                           offers=offer_services.provider_offers(db.session, current_user),
                           form=form or _offer_form(), standard_form=standard or _standard_form(), mixes=mixes,
                           rules=rules, collective_minutes=rules.collective_session_minutes), status


@bp.route("/provider/offers", methods=["GET", "POST"])
@require(Permission.PROVIDER_OFFERS_MANAGE)
def offers():  # type: ignore[no-untyped-def]
    """The provider's offers; a custom mix is created here (POST)."""
    form = _offer_form()
    status = _status(form)
    if form.validate_on_submit():
        try:
            offer_services.create_offer(
                db.session, current_user, name=form.name.data or "", individual_hours=form.individual_hours.data,
                collective_sessions=form.collective_sessions.data,
                individual_unit_cents=form.individual_unit_cents.data,
                collective_unit_cents=form.collective_unit_cents.data, today=today_in_brussels())
        except FORM_ERRORS as error:
            status = refused(form, error)
        else:
            commit()
            flash(_("The offer is created."), "success")
            return redirect(url_for(".offers"))
    return _offers_page(form=form, status=status)


@bp.route("/provider/offers/standard", methods=["POST"])
@require(Permission.PROVIDER_OFFERS_MANAGE)
def create_standard_offer():  # type: ignore[no-untyped-def]
    """One click on one of the fund's standard mixes, at the fund's default unit prices."""
    form, status = _standard_form(), 422
    if form.validate_on_submit():
        individual_hours, collective_sessions = (int(n) for n in form.mix.data.split("-"))
        try:
            offer_services.create_offer(
                db.session, current_user, individual_unit_cents=None, collective_unit_cents=None,
                name=_("%(h)s h individual + %(n)s group sessions", h=individual_hours, n=collective_sessions),
                individual_hours=individual_hours, collective_sessions=collective_sessions, today=today_in_brussels())
        except FORM_ERRORS as error:
            status = refused(form, error)
        else:
            commit()
            flash(_("The offer is created."), "success")
            return redirect(url_for(".offers"))
    return _offers_page(standard=form, status=status)


@bp.route("/provider/offers/<int:offer_id>/deactivate", methods=["POST"])
@require(Permission.PROVIDER_OFFERS_MANAGE)
def deactivate_offer(offer_id: int):  # type: ignore[no-untyped-def]
    """No new voucher can be accepted with this offer; vouchers planned with it keep their mix."""
    return _set_offer_active(offer_id, False)


@bp.route("/provider/offers/<int:offer_id>/reactivate", methods=["POST"])
@require(Permission.PROVIDER_OFFERS_MANAGE)
def reactivate_offer(offer_id: int):  # type: ignore[no-untyped-def]
    return _set_offer_active(offer_id, True)


def _set_offer_active(offer_id: int, active: bool):  # type: ignore[no-untyped-def]
    offer = offer_services.get_offer(db.session, current_user, offer_id)  # someone else's: 404
    if not ActionForm().validate_on_submit():
        flash(_("The form had expired. Please send it again."), "error")
        return redirect(url_for(".offers"))
    offer_services.set_offer_active(db.session, current_user, offer.id, active, now=utcnow())
    commit()
    flash(_("The offer %(name)s can be chosen again.", name=offer.name) if active else
          _("The offer %(name)s is deactivated: vouchers already planned with it keep their mix.", name=offer.name),
          "success")
    return redirect(url_for(".offers"))


# --- coaches --------------------------------------------------------------------------------


def calendar_url(coach: Coach) -> str:
    """The secret iCalendar feed URL, as the API gives it."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/api/v1/coaches/{coach.id}/calendar.ics?token={coach.calendar_token}"


@bp.route("/provider/coaches", methods=["GET", "POST"])
@require(Permission.PROVIDER_COACHES_MANAGE)
def coaches():  # type: ignore[no-untyped-def]
    """The provider's coaches; inviting one creates the account and e-mails a link to choose a password."""
    form = CoachForm()
    status = _status(form)
    if form.validate_on_submit():
        try:
            _coach, user = offer_services.add_coach(db.session, current_user, name=form.name.data or "",
                                                    email=form.email.data or "", timezone=form.timezone.data,
                                                    language=form.language.data)
            queue_password_reset(db.session, user)
        except FORM_ERRORS as error:
            status = refused(form, error)
        else:
            commit()
            flash(_("The coach is added and gets an e-mail to choose a password."), "success")
            return redirect(url_for(".coaches"))
    return render_template("coaching/staff/coaches.html", form=form, coaches=_provider_coaches()), status


# --- the week view and scheduling ------------------------------------------------------------


def _day_from_query() -> date:
    try:
        return date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return today_in_brussels()


def _viewed_coach(coach_id: int | None) -> Coach | None:
    """A coach sees their own calendar; a provider administrator one of the provider's coaches."""
    if coach_id:
        return offer_services.get_coach(db.session, current_user, coach_id)  # someone else's: 404
    if current_user.role == Role.COACH:
        own = offer_services.coach_for_user(db.session, current_user)
        if own is None:
            abort(404)
        return own
    listed = _provider_coaches()
    return listed[0] if listed else None


def local_to_utc(day: date, start: time, tz: str) -> datetime:
    """The coach's wall-clock time on that day as an aware UTC instant.

    A time that does not exist (the hour skipped when clocks go forward) is refused rather than
    silently moved; in the repeated hour of autumn the first occurrence is meant.
    """
    zone = ZoneInfo(tz)
    wall = datetime.combine(day, start)
    instant = wall.replace(tzinfo=zone).astimezone(timezone.utc)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        raise ValidationFailed(N_("This time does not exist on that day: the clocks change."),
                               fields={"start_time": [N_("This time does not exist on that day: the clocks change.")]})
    return instant


VOUCHER_CHOICES = 25  # vouchers listed in the booking form; the others are found by code or name


def _voucher_search() -> str:
    return " ".join(request.args.get("find", "").split())[:100]


def _chosen_voucher_ids() -> list[int]:
    """The vouchers a sent booking form ticked (found by a search, so maybe not among the newest)."""
    return [int(value) for value in request.form.getlist("voucher_ids")[:50] if value.isdigit()
            and int(value) <= 2**31 - 1]


def _schedule_form(coach: Coach | None, day: date, *, search: str = "",
                   chosen: list[int] | None = None) -> ScheduleForm:
    form = ScheduleForm(data={"coach_id": coach.id if coach else None, "start_on": day, "start_time": time(9, 0),
                              "duration_minutes": 60})
    if current_user.role == Role.COACH:
        own = offer_services.coach_for_user(db.session, current_user)
        staff = [own] if own is not None else []
    else:
        staff = _provider_coaches()
    form.coach_id.choices = choices({c.id: c.display_name for c in staff})
    listed = offer_services.schedulable_vouchers(db.session, current_user, search=search, limit=VOUCHER_CHOICES)
    if chosen:
        listed = offer_services.schedulable_vouchers(db.session, current_user, ids=chosen, limit=len(chosen)) + [
            v for v in listed if v.id not in chosen]
    form.voucher_ids.choices = choices({v.id: f"{v.code} · {v.beneficiary_name}" for v in listed})
    form.duration_minutes.choices = duration_choices()
    return form


def _week_page(coach: Coach | None, day: date, form: ScheduleForm, status: int = 200,  # type: ignore[no-untyped-def]
               search: str = ""):
    found = {"find": search, "voucher_choices": VOUCHER_CHOICES}
    if coach is None:
        return render_template("coaching/staff/week.html", coach=None, form=form, **found), status
    start, end = week_bounds(day, coach.timezone)
    zone = ZoneInfo(coach.timezone)
    days = [start.date() + timedelta(days=n) for n in range(7)]
    by_day: dict[date, list[CoachingSession]] = {d: [] for d in days}
    booked = sessions_between(db.session, coach.id, start, end)
    for item in booked:
        local_day_ = min(max(item.starts_at.astimezone(zone).date(), days[0]), days[-1])
        by_day[local_day_].append(item)
    coaches = _provider_coaches() if current_user.role != Role.COACH else [coach]
    return render_template(
        "coaching/staff/week.html", coach=coach, coaches=coaches, days=days, by_day=by_day,
        seats=_seat_rows([s.id for s in booked]), today=utcnow().astimezone(zone).date(), form=form,
        available=availability_services.day_ranges_for(db.session, coach, days[0], days[-1]),
        previous_day=days[0] - timedelta(days=7), next_day=days[0] + timedelta(days=7),
        calendar_url=calendar_url(coach),
        can_reset=can(current_user, Permission.CALENDAR_MANAGE), **found), status


@bp.route("/coach/week")
@require(Permission.SESSION_SCHEDULE)
@private_page
def week():  # type: ignore[no-untyped-def]
    """A coach's week, Monday to Sunday in the coach's own time zone, with the form to book a session."""
    day = _day_from_query()
    coach = _viewed_coach(request.args.get("coach_id", type=int))
    search = _voucher_search()
    return _week_page(coach, day, _schedule_form(coach, day, search=search), search=search)


@bp.route("/coach/sessions", methods=["POST"])
@require(Permission.SESSION_SCHEDULE)
def schedule():  # type: ignore[no-untyped-def]
    """Book a session from the week view; a double booking or an exhausted voucher shows the form again."""
    form = _schedule_form(None, today_in_brussels(), chosen=_chosen_voucher_ids())
    status = 422
    if form.validate_on_submit():
        try:
            coach = offer_services.get_coach(db.session, current_user, form.coach_id.data)
            plan = session_services.SessionPlan(
                coach_id=coach.id, kind=form.kind.data, voucher_ids=list(form.voucher_ids.data),
                starts_at=local_to_utc(form.start_on.data, form.start_time.data, coach.timezone),
                duration_minutes=form.duration_minutes.data, mode=form.mode.data,
                capacity=form.capacity.data if form.kind.data == "collective" else None,
                location=(form.location.data or "").strip(), theme=(form.theme.data or "").strip())
            booked = session_services.schedule_session(db.session, current_user, plan, now=utcnow())
            warnings = availability_services.booking_warnings(db.session, booked)
        except FORM_ERRORS as error:
            status = refused(form, error, aliases={"starts_at": "start_time"})
        else:
            commit()
            flash(_("The session is scheduled."), "success")
            for warning in warnings:
                flash(translate(warning["message"]), "warning")  # an N_ message of the availability rules
            return redirect(url_for(".week", coach_id=coach.id, day=form.start_on.data.isoformat()))
    known = {choice.value for choice in form.coach_id.choices}
    coach = _viewed_coach(form.coach_id.data if form.coach_id.data in known else None)
    return _week_page(coach, form.start_on.data or today_in_brussels(), form, status)


@bp.route("/coach/calendar/<int:coach_id>/reset", methods=["POST"])
@require(Permission.CALENDAR_MANAGE)
def reset_calendar(coach_id: int):  # type: ignore[no-untyped-def]
    """A new secret calendar link; subscriptions with the old one stop."""
    if ActionForm().validate_on_submit():
        reset_calendar_token(db.session, current_user, coach_id, now=utcnow())
        commit()
        flash(_("The calendar link is reset. Subscribe again with the new link."), "success")
    return redirect(url_for(".week", coach_id=coach_id))


# --- one session: details, logging, cancelling ----------------------------------------------


def _log_form(booked: CoachingSession, seats: list[dict[str, Any]]) -> LogForm:
    form_class = log_form_class([(row["voucher_id"], f"{row['name']} ({row['code']})") for row in seats])
    form = form_class(data={"duration_minutes": booked.duration_minutes})
    form.duration_minutes.choices = duration_choices(booked.kind)
    return form


def _session_page(booked: CoachingSession, seats: list[dict[str, Any]], form: LogForm,  # type: ignore[no-untyped-def]
                  status: int = 200):
    coach = db.session.get(Coach, booked.coach_id)
    tz = coach.timezone if coach else "Europe/Brussels"
    return render_template("coaching/staff/session.html", booked=booked, coach=coach, seats=seats, form=form, tz=tz,
                           local_start_on=booked.starts_at.astimezone(ZoneInfo(tz)).date()), status


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
    seats = _seat_rows([booked.id])[booked.id]
    form, status = _log_form(booked, seats), 422
    if form.validate_on_submit():
        try:
            session_services.log_session(db.session, current_user, booked.id, form.attendance_data(),
                                         form.duration_minutes.data, form.note.data, now=utcnow())
        except FORM_ERRORS as error:
            status = refused(form, error)
        else:
            commit()
            flash(_("The session is logged. The beneficiary is asked to confirm it."), "success")
            return redirect(url_for(".session_detail", session_id=session_id))
    return _session_page(booked, _seat_rows([booked.id])[booked.id], form, status)


@bp.route("/coach/sessions/<int:session_id>/cancel", methods=["POST"])
@require(Permission.SESSION_SCHEDULE)
def cancel_session(session_id: int):  # type: ignore[no-untyped-def]
    """Cancel a scheduled session: its hours and euros are released from the vouchers."""
    booked = session_services.get_session_for_staff(db.session, current_user, session_id)
    if ActionForm().validate_on_submit():
        session_services.cancel_session(db.session, current_user, booked.id, now=utcnow())  # 409 once logged
        commit()
        flash(_("The session is cancelled."), "success")
    return redirect(url_for(".session_detail", session_id=session_id))


# --- claims ---------------------------------------------------------------------------------


def _claimable() -> dict[int, dict[str, Any]]:
    """Attended, confirmed and not yet claimed sessions, per voucher of this provider."""
    query = (select(SessionSeat, CoachingSession, Voucher)
             .join(CoachingSession, CoachingSession.id == SessionSeat.session_id)
             .join(Voucher, Voucher.id == SessionSeat.voucher_id)
             .outerjoin(ClaimLine, ClaimLine.seat_id == SessionSeat.id)
             .where(Voucher.provider_id == current_user.provider_id,
                    CoachingSession.provider_id == current_user.provider_id,
                    SessionSeat.attendance == "attended", SessionSeat.confirmation == "confirmed",
                    ClaimLine.id.is_(None))
             .order_by(Voucher.id, CoachingSession.starts_at))
    groups: dict[int, dict[str, Any]] = {}
    for seat, booked, voucher in db.session.execute(query):
        group = groups.setdefault(voucher.id, {"voucher": voucher, "name": _person(voucher.beneficiary.user),
                                               "rows": [], "form": None})
        group["rows"].append({"seat": seat, "booked": booked})
    return groups


def _claim_form(group: dict[str, Any] | None, *, posted: bool) -> ClaimForm:
    form = ClaimForm() if posted else ClaimForm(formdata=None)
    rows = group["rows"] if group else []
    form.session_ids.choices = choices({row["booked"].id: row["booked"].id for row in rows})
    return form


def _claims_page(groups: dict[int, dict[str, Any]], status: int = 200):  # type: ignore[no-untyped-def]
    for group in groups.values():
        group["form"] = group["form"] or _claim_form(group, posted=False)
    claims = list(reversed(claim_services.list_claims(db.session, current_user, limit=200)))
    codes = dict(db.session.execute(select(Voucher.id, Voucher.code)
                                    .where(Voucher.id.in_({c.voucher_id for c in claims}))).all()) if claims else {}
    return render_template("coaching/staff/claims.html", groups=list(groups.values()), claims=claims,
                           codes=codes), status


@bp.route("/provider/claims")
@require(Permission.CLAIM_SUBMIT)
def claims():  # type: ignore[no-untyped-def]
    """Confirmed sessions waiting to be claimed, per voucher, and the provider's claims."""
    return _claims_page(_claimable())


@bp.route("/provider/claims/<int:voucher_id>", methods=["POST"])
@require(Permission.CLAIM_SUBMIT)
def submit_claim(voucher_id: int):  # type: ignore[no-untyped-def]
    """Claim the chosen sessions of one voucher (each session once; capped at the voucher's value)."""
    voucher_services.get_voucher(db.session, current_user, voucher_id)  # someone else's: 404
    groups = _claimable()
    form, status = _claim_form(groups.get(voucher_id), posted=True), 422
    if form.validate_on_submit():
        try:
            claim_services.submit_claim(db.session, current_user, voucher_id, list(form.session_ids.data),
                                        now=utcnow())
        except FORM_ERRORS as error:
            status = refused(form, error)
        else:
            commit()
            flash(_("The claim is sent to the fund."), "success")
            return redirect(url_for(".claims"))
        groups = _claimable()
    if voucher_id in groups:
        groups[voucher_id]["form"] = form
    else:
        flash(_(form.form_errors[0]) if form.form_errors else _("There is nothing to claim on this voucher."), "error")
    return _claims_page(groups, status)
