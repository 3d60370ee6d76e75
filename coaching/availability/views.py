"""Pages where a coach sets their weekly hours and exceptions (a provider administrator those of
the provider's coaches). The JSON API (``coaching.availability_api``) runs the same services."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from coaching.availability import services as availability_services
from coaching.availability.forms import (
    EXCEPTION_KIND_LABELS,
    WEEKDAY_LABELS,
    ExceptionForm,
    weekly_form_class,
)
from coaching.providers.forms import COACH_TIMEZONES
from coaching.providers.models import Coach
from coaching.providers.services import offers as offer_services
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.forms import ActionForm, choices
from portal.i18n import local_day
from portal.permissions import Permission, Role, require
from portal.web import form_post, saved

bp = Blueprint("availability", __name__)


def _weekly_form(coach: Coach, current: availability_services.CoachAvailability | None = None) -> FlaskForm:
    data: dict[str, Any] = {"timezone": coach.timezone}
    if current is not None:
        for day in WEEKDAY_LABELS:
            data[f"weekday_{day}"] = [(r.start_time, r.end_time) for r in current.weekly if r.weekday == day]
    form = weekly_form_class()(data=data if current is not None else None)
    zones = COACH_TIMEZONES if coach.timezone in COACH_TIMEZONES else (coach.timezone, *COACH_TIMEZONES)
    form.timezone.choices = choices({zone: zone for zone in zones})
    return form


def _coaches() -> list[Coach]:
    if current_user.role == Role.COACH:
        own = offer_services.coach_for_user(db.session, current_user)
        return [own] if own is not None else []
    return offer_services.provider_coaches(db.session, current_user)


def _page(coach_id: int, weekly_form: FlaskForm | None = None, exception_form: ExceptionForm | None = None,
          status: int = 200):  # type: ignore[no-untyped-def]
    current = availability_services.coach_availability(db.session, current_user, coach_id,
                                                       today=today_in_brussels())
    return render_template(
        "coaching/staff/availability.html", coach=current.coach, coaches=_coaches(), current=current,
        weekly_form=weekly_form or _weekly_form(current.coach, current),
        exception_form=exception_form or ExceptionForm(formdata=None), delete_form=ActionForm(),
        weekday_labels=WEEKDAY_LABELS, exception_kind_labels=EXCEPTION_KIND_LABELS, local_day=local_day), status


@bp.route("/coach/availability")
@require(Permission.CALENDAR_MANAGE)
def availability_home():  # type: ignore[no-untyped-def]
    """A coach lands on their own hours, a provider administrator on their first coach's (or the chosen one)."""
    coaches = _coaches()
    if not coaches:
        return render_template("coaching/staff/availability.html", coach=None, coaches=[])
    chosen = request.args.get("coach_id", type=int)
    coach_id = chosen if chosen in {c.id for c in coaches} else coaches[0].id
    return redirect(url_for(".availability", coach_id=coach_id))


@bp.route("/coach/availability/<int:coach_id>", methods=["GET", "POST"])
@require(Permission.CALENDAR_MANAGE)
def availability(coach_id: int):  # type: ignore[no-untyped-def]
    """The weekly hours (POST saves the whole week), with the exceptions below."""
    coach = availability_services.calendar_coach(db.session, current_user, coach_id)  # someone else's: 404
    form = _weekly_form(coach)

    def save() -> None:
        ranges = [availability_services.WeeklyInput(day, start, end) for day in WEEKDAY_LABELS
                  for start, end in form[f"weekday_{day}"].data]
        availability_services.replace_weekly(db.session, current_user, coach.id, ranges,
                                             timezone=form.timezone.data, now=utcnow())

    # A GET shows the saved week; a sent one comes back as typed.
    return form_post(form, save, done=lambda _r: saved(_("The weekly hours are saved."),
                                                       url_for(".availability", coach_id=coach_id)),
                     again=lambda status: _page(coach_id, weekly_form=form if form.is_submitted() else None,
                                                status=status))


@bp.route("/coach/availability/<int:coach_id>/exceptions", methods=["POST"])
@require(Permission.CALENDAR_MANAGE)
def add_exception(coach_id: int):  # type: ignore[no-untyped-def]
    """A day or days off, hours off, or extra hours."""
    availability_services.calendar_coach(db.session, current_user, coach_id)  # someone else's: 404
    form = ExceptionForm()
    return form_post(form, lambda: availability_services.add_exception(
        db.session, current_user, coach_id,
        availability_services.ExceptionInput(
            from_on=form.from_on.data, until_on=form.until_on.data, available=form.kind.data == "extra",
            start_time=form.start_time.data, end_time=form.end_time.data, reason=form.reason.data or ""),
        today=today_in_brussels(), now=utcnow()),
        done=lambda _e: saved(_("The exception is saved."), url_for(".availability", coach_id=coach_id)),
        again=lambda status: _page(coach_id, exception_form=form, status=status))


@bp.route("/coach/availability/<int:coach_id>/exceptions/<int:exception_id>/delete", methods=["POST"])
@require(Permission.CALENDAR_MANAGE)
def delete_exception(coach_id: int, exception_id: int):  # type: ignore[no-untyped-def]
    availability_services.calendar_coach(db.session, current_user, coach_id)  # someone else's: 404
    back = url_for(".availability", coach_id=coach_id)
    # A bare button: without its token it goes back without a word; a refusal goes to the error page.
    return form_post(ActionForm(), lambda: availability_services.remove_exception(db.session, current_user, coach_id,
                                                                                  exception_id, now=utcnow()),
                     errors=(), done=lambda _r: saved(_("The exception is removed."), back),
                     again=lambda _status: redirect(back))
