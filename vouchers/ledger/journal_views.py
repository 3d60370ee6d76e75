"""The fund administrators' pages of the ledger itself: the journal of a period (with its CSV for the fund's
accounting system) and one entry, where an administrator who may reconcile corrects it with a new entry."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.permissions import Permission, can, require
from portal.schema_fields import MAX_ID
from portal.web import PAGE_SIZE, form_post, saved
from vouchers.ledger import domain
from vouchers.ledger.forms import CorrectionForm, PeriodForm
from vouchers.ledger.labels import ACCOUNT_LABELS, KIND_LABELS
from vouchers.ledger.services import corrections, journal
from vouchers.ledger.views import period_args, read_period

bp = Blueprint("ledger_books", __name__, url_prefix="/admin/fund/ledger")


def _after() -> tuple[date, int] | None:
    """The page's keyset position: the last line of the previous page, as ``after_on`` and ``after``."""
    try:
        day = date.fromisoformat(request.args.get("after_on", ""))
    except ValueError:
        return None
    entry_id = request.args.get("after", type=int)
    if not entry_id or not 0 < entry_id <= MAX_ID or not domain.EARLIEST_ON <= day <= domain.LATEST_ON:
        return None
    return day, entry_id


@bp.get("/journal")
@require(Permission.ADMIN_REPORTS_VIEW)
def journal_page():  # type: ignore[no-untyped-def]
    today = today_in_brussels()
    form = PeriodForm(request.args)
    period, status = read_period(form, domain.month_of(today))
    context: dict[str, Any] = {"form": form, "accounts": domain.ACCOUNT_CODES, "account_labels": ACCOUNT_LABELS,
                               "kind_labels": KIND_LABELS}
    if period is not None:
        after = _after()
        lines = list(journal.journal_lines(db.session, current_user, period, limit=PAGE_SIZE + 1, after=after))
        shown = lines[:PAGE_SIZE]
        context.update(
            totals=journal.journal_totals(db.session, current_user, period), lines=shown,
            csv_url=url_for("ledger_api.journal_csv", **period_args(period)),
            next_url=url_for(".journal_page", **period_args(period), after_on=shown[-1].booked_on.isoformat(),
                             after=shown[-1].entry_id) if len(lines) > PAGE_SIZE else None,
            first_url=url_for(".journal_page", **period_args(period)) if after else None)
    return render_template("fund_admin/ledger_journal.html", **context), status


def _render_entry(entry_id: int, form: CorrectionForm, status: int = 200) -> tuple[str, int]:
    history = corrections.entry_history(db.session, current_user, entry_id)
    entry = history.entry
    return render_template(
        "fund_admin/ledger_entry.html", history=history, entry=entry, form=form, month=domain.month_of(entry.booked_on),
        line=domain.booking(entry.account, entry.kind, history.standing_cents), accounts=domain.ACCOUNT_CODES,
        account_labels=ACCOUNT_LABELS, kind_labels=KIND_LABELS,
        may_correct=can(current_user, Permission.ADMIN_RECONCILE) and entry.corrects_entry_id is None,
        may_see_audit=can(current_user, Permission.ADMIN_AUDIT_VIEW)), status


@bp.get("/entries/<int:entry_id>")
@require(Permission.ADMIN_REPORTS_VIEW)
def entry_page(entry_id: int):  # type: ignore[no-untyped-def]
    return _render_entry(entry_id, CorrectionForm(formdata=None))


@bp.post("/entries/<int:entry_id>/correct")
@require(Permission.ADMIN_RECONCILE)
def correct(entry_id: int):  # type: ignore[no-untyped-def]
    form = CorrectionForm()
    return form_post(
        form,
        lambda: corrections.correct_entry(db.session, current_user, entry_id, amount_cents=form.amount_cents.data,
                                          reason=form.reason.data, today=today_in_brussels(), now=utcnow()),
        done=lambda correction: saved(
            _("Entry %(id)s is corrected: entry %(new)s books the difference.", id=entry_id, new=correction.id),
            url_for(".entry_page", entry_id=entry_id)),
        again=lambda status: _render_entry(entry_id, form, status))
