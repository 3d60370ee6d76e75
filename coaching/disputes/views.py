"""Pages for disputed sessions: the provider's administrators accept a dispute or send it to the
fund; the fund decides those sent to it. The JSON API (``coaching.dispute_api``) runs the same
services. The session's sensitive note is never shown here: the fund must not read it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from coaching.calendar.views.coach import duration_choices
from coaching.disputes import services as dispute_services
from coaching.disputes.forms import (
    DISPUTE_DECISION_LABELS,
    DISPUTE_STATUS_LABELS,
    AcceptDisputeForm,
    DisputeDecisionForm,
    EscalateDisputeForm,
)
from portal import audit
from portal.clock import utcnow
from portal.db import db
from portal.forms import choices
from portal.mail import commit
from portal.permissions import Permission, require
from portal.web import form_post, saved

bp = Blueprint("disputes", __name__)


RESOLVED_SHOWN = 50


@bp.context_processor
def _helpers() -> dict[str, Any]:
    # Formatters and session labels come to every template (portal.create_app, coaching.templating).
    return {"dispute_status_labels": DISPUTE_STATUS_LABELS}


def _corrections(form: FlaskForm, view: dispute_services.DisputeView) -> FlaskForm:
    """Offer only corrections that lower what the seat used (the service refuses the others): a
    shorter duration than logged, and attended only for a seat logged as attended."""
    logged = view.booked.logged_minutes or view.booked.duration_minutes
    options: dict[Any, Any] = {"": _("As logged")}
    options.update({choice.value: choice.label for choice in duration_choices("individual")
                    if choice.value < logged})
    form.duration_minutes.choices = choices(options)
    if view.seat.attendance != "attended":
        form.attendance.choices = [choice for choice in form.attendance.choices if choice.value != "attended"]
    return form


@bp.route("/provider/disputes")
@require(Permission.DISPUTE_RESOLVE)
def provider_disputes():  # type: ignore[no-untyped-def]
    """Disputes waiting for the provider, those at the fund, and the latest settled ones."""
    rows = {status: dispute_services.provider_disputes(db.session, current_user, status=status, limit=200)
            for status in ("open", "escalated")}
    settled = dispute_services.provider_disputes(db.session, current_user, status=("upheld", "dismissed"),
                                                 limit=RESOLVED_SHOWN, newest_first=True)
    return render_template("coaching/staff/disputes.html", open_rows=rows["open"], escalated=rows["escalated"],
                           settled=settled)


def _provider_page(dispute_id: int, accept: AcceptDisputeForm | None = None,  # type: ignore[no-untyped-def]
                   escalate: EscalateDisputeForm | None = None, status: int = 200):
    view = dispute_services.dispute_for_provider(db.session, current_user, dispute_id)
    return render_template("coaching/staff/dispute.html", v=view,
                           accept_form=accept or _corrections(AcceptDisputeForm(formdata=None), view),
                           escalate_form=escalate or EscalateDisputeForm(formdata=None)), status


@bp.route("/provider/disputes/<int:dispute_id>")
@require(Permission.DISPUTE_RESOLVE)
def provider_dispute(dispute_id: int):  # type: ignore[no-untyped-def]
    return _provider_page(dispute_id)


@bp.route("/provider/disputes/<int:dispute_id>/accept", methods=["POST"])
@require(Permission.DISPUTE_RESOLVE)
def accept(dispute_id: int):  # type: ignore[no-untyped-def]
    """The beneficiary is right: correct the session as they say."""
    view = dispute_services.dispute_for_provider(db.session, current_user, dispute_id)  # someone else's: 404
    form = _corrections(AcceptDisputeForm(), view)
    return form_post(form, lambda: dispute_services.accept_dispute(
        db.session, current_user, dispute_id, attendance=form.attendance.data,
        duration_minutes=form.duration_minutes.data, note=form.note.data, now=utcnow()),
        done=lambda _d: saved(_("The dispute is accepted and the session corrected. The beneficiary is told."),
                              url_for(".provider_dispute", dispute_id=dispute_id)),
        again=lambda status: _provider_page(dispute_id, accept=form, status=status))


@bp.route("/provider/disputes/<int:dispute_id>/escalate", methods=["POST"])
@require(Permission.DISPUTE_RESOLVE)
def escalate(dispute_id: int):  # type: ignore[no-untyped-def]
    """The log is right: send the dispute to the fund with the provider's side."""
    dispute_services.dispute_for_provider(db.session, current_user, dispute_id)  # someone else's: 404
    form = EscalateDisputeForm()
    return form_post(form, lambda: dispute_services.escalate_dispute(db.session, current_user, dispute_id,
                                                                     form.note.data or "", now=utcnow()),
                     done=lambda _d: saved(_("The dispute is sent to the fund."),
                                           url_for(".provider_dispute", dispute_id=dispute_id)),
                     again=lambda status: _provider_page(dispute_id, escalate=form, status=status))


@bp.route("/admin/fund/disputes")
@require(Permission.ADMIN_DISPUTES_DECIDE)
def fund_disputes():  # type: ignore[no-untyped-def]
    """Disputes the providers sent to the fund, waiting for a decision, then the latest decided."""
    waiting = dispute_services.fund_disputes(db.session, current_user, status="escalated", limit=200)
    decided = dispute_services.fund_disputes(db.session, current_user, status=("upheld", "dismissed"),
                                             limit=RESOLVED_SHOWN, newest_first=True)
    return render_template("coaching/fund/disputes.html", waiting=waiting, decided=decided)


def _fund_page(dispute_id: int, form: DisputeDecisionForm | None = None,  # type: ignore[no-untyped-def]
               status: int = 200):
    view = dispute_services.dispute_for_fund(db.session, current_user, dispute_id)
    return render_template("coaching/fund/dispute.html", v=view,
                           form=form or _corrections(DisputeDecisionForm(formdata=None), view),
                           decision_labels=DISPUTE_DECISION_LABELS), status


@bp.route("/admin/fund/disputes/<int:dispute_id>")
@require(Permission.ADMIN_DISPUTES_DECIDE)
def fund_dispute(dispute_id: int):  # type: ignore[no-untyped-def]
    page = _fund_page(dispute_id)
    # The page shows a beneficiary's name and the dispute's reasons: a read of personal data, logged.
    audit.record_read(db.session, actor=current_user, object_type="session_dispute", object_id=dispute_id,
                      now=utcnow())
    commit()
    return page


@bp.route("/admin/fund/disputes/<int:dispute_id>/decision", methods=["POST"])
@require(Permission.ADMIN_DISPUTES_DECIDE)
def decide(dispute_id: int):  # type: ignore[no-untyped-def]
    view = dispute_services.dispute_for_fund(db.session, current_user, dispute_id)  # not at the fund: 404
    form = _corrections(DisputeDecisionForm(), view)
    return form_post(form, lambda: dispute_services.decide_dispute(
        db.session, current_user, dispute_id, decision=form.decision.data, note=form.note.data or "",
        attendance=form.attendance.data or None, duration_minutes=form.duration_minutes.data, now=utcnow()),
        done=lambda _d: saved(_("The decision is recorded. The provider and the beneficiary are told."),
                              url_for(".fund_dispute", dispute_id=dispute_id)),
        again=lambda status: _fund_page(dispute_id, form=form, status=status))
