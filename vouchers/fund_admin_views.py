"""The fund administrators' pages: providers, the claims queue, payout batches, the fund's balance, audit.

Each view loads (404), authorizes (``@require``), validates, calls a service, commits once and
redirects. A refused form shows the page again with what was typed and the reasons (422);
a refused action (409) is flashed. The JSON API (``vouchers.fund_admin_api``) runs the same services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from coaching import admin_services
from coaching.admin_services import KNOWN_AUDIT_OBJECT_TYPES, ProviderListing
from coaching.forms_marketplace import REGION_LABELS
from coaching.models import Provider
from coaching.services import claims as claim_services
from coaching.staff_forms import ATTENDANCE_LABELS, CLAIM_STATUS_LABELS, CONFIRMATION_LABELS, KIND_LABELS
from portal import audit
from portal.auth.emails import queue_password_reset
from portal.auth.models import User
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import Conflict, DomainError, ValidationFailed
from portal.fund_account import fund_account_settings
from portal.fund_settings import rules_on
from portal.i18n import LANGUAGE_NAMES
from portal.mail import commit
from portal.permissions import Permission, require
from portal.web import attach_errors
from vouchers import ledger, payouts
from vouchers.fund_admin_forms import (
    ApproveForm,
    AuditFilterForm,
    ClaimFilterForm,
    CreateBatchForm,
    DelistForm,
    MarkPaidForm,
    ProviderForm,
    RejectForm,
)

bp = Blueprint("fund_admin", __name__, url_prefix="/admin/fund")

PAGE_SIZE = 50
BATCH_STATUS_LABELS = {"created": _l("File created, not paid yet"), "paid": _l("Paid")}


def _refused(form: FlaskForm, error: DomainError) -> int:
    """Undo what the service flushed and show its reasons on the form; returns the page's status."""
    db.session.rollback()
    attach_errors(form, error)
    headline = _(error.message)
    if headline not in form.form_errors:
        form.form_errors.insert(0, headline)
    for name, problems in error.fields.items():  # reasons about no field of this form (a provider's IBAN)
        if not hasattr(form, name):
            form.form_errors.extend(_(p) for p in problems if _(p) not in form.form_errors)
    return error.status


def _page_args(name: str = "before") -> int | None:
    value = request.args.get(name, type=int)
    return value if value and value > 0 else None


# --- providers ---------------------------------------------------------------------------


@bp.get("/providers")
@require(Permission.ADMIN_PROVIDERS_MANAGE)
def providers():  # type: ignore[no-untyped-def]
    today = today_in_brussels()
    return render_template("fund_admin/providers.html", providers=admin_services.providers_for_fund(
        db.session, current_user), warnings=admin_services.label_expiry_overview(db.session, today), today=today,
        region_labels=REGION_LABELS, language_names=LANGUAGE_NAMES, format_enterprise=_format_enterprise,
        warning_days=rules_on(db.session, today).label_warning_days)


def _format_enterprise(number: str) -> str:
    """BE 0403.170.701, as the BCE/KBO writes it."""
    return f"BE {number[:4]}.{number[4:7]}.{number[7:]}" if len(number) == 10 and number.isdigit() else number


@bp.route("/providers/new", methods=["GET", "POST"])
@require(Permission.ADMIN_PROVIDERS_MANAGE)
def new_provider():  # type: ignore[no-untyped-def]
    form, status = ProviderForm(), 200
    if form.is_submitted():
        status = 422
        if form.validate():
            data = ProviderListing(
                name=form.name.data or "", enterprise_number=form.enterprise_number.data or "",
                quality_label=form.quality_label.data or "", label_valid_until_on=form.label_valid_until_on.data,
                iban=form.iban.data or "", regions=list(form.regions.data or []),
                languages=list(form.languages.data or []), admin_email=form.admin_email.data or "",
                admin_name=form.admin_name.data or "")
            try:
                provider, user = admin_services.list_provider(db.session, current_user, data,
                                                              today=today_in_brussels(), now=utcnow())
            except (ValidationFailed, Conflict) as error:
                status = _refused(form, error)
            else:
                queue_password_reset(db.session, user)
                commit()
                flash(_("%(name)s is listed. Its administrator %(email)s is invited by e-mail.", name=provider.name,
                        email=user.email), "success")
                return redirect(url_for(".providers"))
    return render_template("fund_admin/provider_form.html", form=form), status


@bp.route("/providers/<int:provider_id>/delist", methods=["GET", "POST"])
@require(Permission.ADMIN_PROVIDERS_MANAGE)
def delist(provider_id: int):  # type: ignore[no-untyped-def]
    provider = db.session.get(Provider, provider_id)
    if provider is None:
        abort(404)
    form, status = DelistForm(), 200
    if form.is_submitted():
        status = 422
        if form.validate():
            try:
                admin_services.delist_provider(db.session, current_user, provider_id, now=utcnow(),
                                               reason=form.reason.data)
            except Conflict as error:
                db.session.rollback()
                flash(_(error.message), "error")
                return redirect(url_for(".providers"))
            commit()
            flash(_("%(name)s is delisted. Its history is kept.", name=provider.name), "success")
            return redirect(url_for(".providers"))
    return render_template("fund_admin/delist.html", form=form, provider=provider), status


# --- claims ------------------------------------------------------------------------------


@bp.get("/claims")
@require(Permission.ADMIN_CLAIMS_DECIDE)
def claims():  # type: ignore[no-untyped-def]
    form = ClaimFilterForm(request.args)
    rows: list[Any] = []
    next_url = None
    if form.validate():
        after = _page_args("after")
        found = claim_services.list_claims(db.session, current_user, status=form.status.data or None,
                                           limit=PAGE_SIZE + 1, after_id=after)
        rows = admin_services.claim_summaries(db.session, current_user, found[:PAGE_SIZE])
        if len(found) > PAGE_SIZE:
            next_url = url_for(".claims", status=form.status.data or "", after=found[PAGE_SIZE - 1].id)
    return render_template("fund_admin/claims.html", form=form, rows=rows, next_url=next_url,
                           first_url=request.args.get("after") and url_for(".claims", status=form.status.data or ""),
                           claim_status_labels=CLAIM_STATUS_LABELS)


@bp.get("/claims/<int:claim_id>")
@require(Permission.ADMIN_CLAIMS_DECIDE)
def claim(claim_id: int):  # type: ignore[no-untyped-def]
    detail = admin_services.claim_detail(db.session, current_user, claim_id)
    # The page shows a beneficiary's name and the reasons of disputes: a read of personal data, logged.
    audit.record_read(db.session, actor=current_user, object_type="claim", object_id=claim_id, now=utcnow())
    commit()
    return _render_claim(detail, ApproveForm(), RejectForm())


def _render_claim(detail: admin_services.ClaimDetail, approve_form: FlaskForm, reject_form: RejectForm,
                  status: int = 200) -> tuple[str, int]:
    return render_template("fund_admin/claim.html", d=detail, approve_form=approve_form, reject_form=reject_form,
                           claim_status_labels=CLAIM_STATUS_LABELS, attendance_labels=ATTENDANCE_LABELS,
                           confirmation_labels=CONFIRMATION_LABELS, kind_labels=KIND_LABELS), status


@bp.post("/claims/<int:claim_id>/approve")
@require(Permission.ADMIN_CLAIMS_DECIDE)
def approve(claim_id: int):  # type: ignore[no-untyped-def]
    form = ApproveForm()
    if not form.validate_on_submit():
        return _render_claim(admin_services.claim_detail(db.session, current_user, claim_id), form, RejectForm(), 422)
    try:
        claim_services.approve_claim(db.session, current_user, claim_id, today=today_in_brussels(), now=utcnow())
    except Conflict as error:
        db.session.rollback()
        flash(_(error.message), "error")
    else:
        commit()
        flash(_("Claim %(id)s is approved: it will be paid with the next payout batch.", id=claim_id), "success")
    return redirect(url_for(".claim", claim_id=claim_id))


@bp.post("/claims/<int:claim_id>/reject")
@require(Permission.ADMIN_CLAIMS_DECIDE)
def reject(claim_id: int):  # type: ignore[no-untyped-def]
    form, status = RejectForm(), 422
    if form.validate_on_submit():
        try:
            claim_services.reject_claim(db.session, current_user, claim_id, form.reason.data or "",
                                        today=today_in_brussels(), now=utcnow())
        except Conflict as error:
            db.session.rollback()
            flash(_(error.message), "error")
            return redirect(url_for(".claim", claim_id=claim_id))
        except ValidationFailed as error:
            status = _refused(form, error)
        else:
            commit()
            flash(_("Claim %(id)s is rejected. Its sessions can be claimed again.", id=claim_id), "success")
            return redirect(url_for(".claim", claim_id=claim_id))
    return _render_claim(admin_services.claim_detail(db.session, current_user, claim_id), ApproveForm(), form, status)


# --- payout batches ----------------------------------------------------------------------


@bp.get("/payouts")
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def payout_batches():  # type: ignore[no-untyped-def]
    return _render_batches(CreateBatchForm())


def _render_batches(form: FlaskForm, status: int = 200) -> tuple[str, int]:
    before = _page_args()
    rows = payouts.list_batches(db.session, current_user, limit=PAGE_SIZE + 1, before_id=before)
    waiting_count, waiting_cents = payouts.approved_unbatched(db.session)
    return render_template(
        "fund_admin/payouts.html", form=form, batches=rows[:PAGE_SIZE], waiting_count=waiting_count,
        waiting_cents=waiting_cents, batch_status_labels=BATCH_STATUS_LABELS,
        next_url=url_for(".payout_batches", before=rows[PAGE_SIZE - 1].id) if len(rows) > PAGE_SIZE else None,
        first_url=before and url_for(".payout_batches")), status


@bp.post("/payouts")
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def create_batch():  # type: ignore[no-untyped-def]
    form = CreateBatchForm()
    if not form.validate_on_submit():
        return _render_batches(form, 422)
    settings = fund_account_settings(current_app.config)
    try:
        batch = payouts.create_payout_batch(
            db.session, current_user, today=today_in_brussels(), now=utcnow(), debtor_iban=settings["FUND_IBAN"],
            debtor_name=settings["FUND_NAME"], debtor_bic=settings["FUND_BIC"],
            xsd_path=settings["PAIN001_XSD_PATH"])
    except (Conflict, ValidationFailed) as error:
        return _render_batches(form, _refused(form, error))
    commit()
    flash(_("Payout batch %(id)s is ready: download its file and upload it to the fund's bank.", id=batch.id),
          "success")
    return redirect(url_for(".payout_batch", batch_id=batch.id))


@bp.get("/payouts/<int:batch_id>")
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def payout_batch(batch_id: int):  # type: ignore[no-untyped-def]
    return _render_batch(batch_id, MarkPaidForm())


def _render_batch(batch_id: int, form: FlaskForm, status: int = 200) -> tuple[str, int]:
    batch = payouts.get_batch(db.session, current_user, batch_id)
    return render_template("fund_admin/payout.html", batch=batch, form=form,
                           rows=payouts.batch_claims(db.session, batch.id), batch_status_labels=BATCH_STATUS_LABELS,
                           claim_status_labels=CLAIM_STATUS_LABELS), status


@bp.get("/payouts/<int:batch_id>/pain.001.xml")
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def download_batch(batch_id: int):  # type: ignore[no-untyped-def]
    batch = payouts.get_batch(db.session, current_user, batch_id)
    if not batch.xml:
        abort(404)
    return Response(batch.xml, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{batch.message_id}.xml"'})


@bp.post("/payouts/<int:batch_id>/mark-paid")
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def mark_paid(batch_id: int):  # type: ignore[no-untyped-def]
    form = MarkPaidForm()
    if not form.validate_on_submit():
        return _render_batch(batch_id, form, 422)
    try:
        payouts.mark_batch_paid(db.session, current_user, batch_id, today=today_in_brussels(), now=utcnow())
    except Conflict as error:
        db.session.rollback()
        flash(_(error.message), "error")
    else:
        commit()
        flash(_("Payout batch %(id)s is marked as paid. Its claims are paid.", id=batch_id), "success")
    return redirect(url_for(".payout_batch", batch_id=batch_id))


# --- the fund's balance ------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    cents: int
    x: float
    y: float  # top of the bar; its label sits just above it
    width: float


CHART_WIDTH, AMOUNT_ROOM, ROW_HEIGHT, BAR_HEIGHT, LABEL_ROOM = 480, 130, 64, 22, 26


def bar_chart(figures: list[tuple[str, str, int]], *, width: int = CHART_WIDTH) -> dict[str, Any]:
    """Horizontal bars for ``(key, label, cents)``, each under its label, with a zero line so a
    negative figure points left. Geometry only: the template draws it and prints the amounts."""
    plot = width - AMOUNT_ROOM
    low = min([0] + [cents for _, _, cents in figures])
    high = max([0] + [cents for _, _, cents in figures])
    span = (high - low) or 1
    zero_x = plot * (-low) / span
    bars = []
    for index, (key, label, cents) in enumerate(figures):
        length = plot * abs(cents) / span
        bars.append(Bar(key, label, cents, round(zero_x - length if cents < 0 else zero_x, 1),
                        index * ROW_HEIGHT + LABEL_ROOM, round(length, 1)))
    return {"bars": bars, "width": width, "height": len(figures) * ROW_HEIGHT + 4, "zero_x": round(zero_x, 1),
            "bar_height": BAR_HEIGHT}


@bp.get("/")
@bp.get("/balance")
@require(Permission.ADMIN_REPORTS_VIEW)
def balance():  # type: ignore[no-untyped-def]
    today = today_in_brussels()
    position = ledger.fund_position(db.session, on=today)
    figures = [("cash", _("Money held (cash)"), position.cash_cents),
               ("committed", _("Committed to open vouchers"), position.committed_cents),
               ("payable", _("Owed to providers (approved claims)"), position.payable_cents),
               ("available", _("Available for new vouchers"), position.available_cents)]
    waiting_count, waiting_cents = payouts.approved_unbatched(db.session)
    return render_template("fund_admin/balance.html", position=position, chart=bar_chart(figures), today=today,
                           waiting_count=waiting_count, waiting_cents=waiting_cents)


# --- the audit log -----------------------------------------------------------------------


@bp.get("/audit")
@require(Permission.ADMIN_AUDIT_VIEW)
def audit_log():  # type: ignore[no-untyped-def]
    form = AuditFilterForm(request.args)
    rows: list[Any] = []
    next_url = None
    if form.validate():
        actor_id = _person(form)
        if not form.person.errors:
            before = _page_args()
            found = admin_services.audit_trail(db.session, current_user, object_type=form.object_type.data or None,
                                               object_id=form.object_id.data, actor_id=actor_id,
                                               limit=PAGE_SIZE + 1, before_id=before)
            rows = found[:PAGE_SIZE]
            if len(found) > PAGE_SIZE:
                next_url = url_for(".audit_log", **_audit_args(form), before=rows[-1].id)
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({r.actor_id for r in rows
                                                                                     if r.actor_id})))}
    return render_template("fund_admin/audit.html", form=form, rows=rows, actors=actors, next_url=next_url,
                           first_url=request.args.get("before") and url_for(".audit_log", **_audit_args(form)),
                           object_types=KNOWN_AUDIT_OBJECT_TYPES), 200 if not form.errors else 422


def _person(form: AuditFilterForm) -> int | None:
    """The filter's person, as a user id: a number is one; an e-mail address is looked up."""
    text = (form.person.data or "").strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    user = admin_services.user_by_email(db.session, text)
    if user is None:
        form.person.errors = [_("No account has this e-mail address.")]
        return None
    return user.id


def _audit_args(form: AuditFilterForm) -> dict[str, str]:
    return {"object_type": form.object_type.data or "", "object_id": str(form.object_id.data or ""),
            "person": form.person.data or ""}
