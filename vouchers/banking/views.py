"""The fund administrators' bank-statement pages: upload a CAMT.053 or CODA file, see a statement's lines, and the
queue of unmatched lines to match to a contribution or dismiss, each with a reason.

The JSON API (``vouchers.bank_statements.api``) runs the same services. For the reconciliation page,
``queue_url(from_on, to_on)`` links to the period's unmatched lines.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from coaching.claims.forms import CLAIM_STATUS_LABELS
from portal.auth.models import User
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import Conflict, ValidationFailed
from portal.fund_account import fund_account_settings
from portal.i18n import long_date
from portal.mail import commit
from portal.permissions import Permission, require
from portal.web import form_post, page_arg, saved
from vouchers.banking import pain002
from vouchers.banking.forms import (
    IGNORE_REASON_LABELS,
    LINE_STATUS_LABELS,
    SUGGESTION_REASON_LABELS,
    CreateBatchForm,
    DismissForm,
    LineFilterForm,
    MarkPaidForm,
    MatchForm,
    SplitForm,
    UploadForm,
)
from vouchers.banking.models import BankLine
from vouchers.banking.services import lines as line_services
from vouchers.banking.services import payouts
from vouchers.banking.services import statements as statement_services
from vouchers.banking.services import suggestions as suggestion_services
from vouchers.banking.services.background_import import receive_upload
from vouchers.employers.domain import format_structured_reference
from vouchers.employers.models import Contribution
from vouchers.employers.views import CONTRIBUTION_LABELS
from vouchers.search import read_search

bp = Blueprint("banking", __name__, url_prefix="/admin/fund")


PAGE_SIZE = 50


def queue_url(from_on: date, to_on: date, status: str = "unmatched") -> str:
    """The queue of lines booked in ``[from_on, to_on]`` (unmatched by default), for links from other pages."""
    return url_for("banking.lines", status=status, from_on=from_on.isoformat(), to_on=to_on.isoformat())


def _labels() -> dict[str, Any]:
    return {"line_status_labels": LINE_STATUS_LABELS, "ignore_reason_labels": IGNORE_REASON_LABELS,
            "suggestion_reason_labels": SUGGESTION_REASON_LABELS, "contribution_labels": CONTRIBUTION_LABELS,
            "format_reference": format_structured_reference, "reason_words": pain002.REASON_WORDS}


def _after() -> int | None:
    value = request.args.get("after", type=int)
    return value if value and 0 < value < 2**31 else None


def _before() -> int | None:
    value = request.args.get("before", type=int)
    return value if value and 0 < value < 2**31 else None


@bp.get("/bank-statements")
@require(Permission.ADMIN_RECONCILE)
def statements():  # type: ignore[no-untyped-def]
    return _render_statements(UploadForm())


def _render_statements(form: UploadForm, status: int = 200) -> tuple[str, int]:
    before = _before()
    rows = statement_services.list_statements(db.session, current_user, limit=PAGE_SIZE + 1, before_id=before)
    page = rows[:PAGE_SIZE]
    return render_template(
        "fund_admin/bank_statements/statements.html", form=form, statements=page,
        figures=statement_services.statement_figures(db.session, [s.id for s in page]),
        next_url=url_for(".statements", before=page[-1].id) if len(rows) > PAGE_SIZE else None,
        first_url=before and url_for(".statements"), **_labels()), status


@bp.post("/bank-statements")
@require(Permission.ADMIN_RECONCILE)
def upload():  # type: ignore[no-untyped-def]
    form = UploadForm()
    if not form.validate_on_submit():
        return _render_statements(form, 422)
    try:
        result = receive_upload(db.session, current_user, statement_services.read_upload(form.file.data),
                                file_name=form.file.data.filename, now=utcnow(),
                                xsd_path=current_app.config.get("CAMT053_XSD_PATH"))
    except statement_services.InvalidStatementFile as error:
        db.session.rollback()
        form.file.errors = [_(error.template, **error.params)]
        return _render_statements(form, error.status)
    except Conflict as error:
        db.session.rollback()
        form.form_errors.append(_(error.message))
        return _render_statements(form, 409)
    commit()
    first = result.statements[0]
    if result.duplicate:
        flash(_("This statement was already imported on %(day)s: nothing was added.",
                day=long_date(first.statement.imported_at)), "info")
    elif result.importing:
        first = next(s for s in result.statements if s.statement.status == "importing")
        flash(_("The file is large: it is read in the background. This page shows how far it is; you may leave it, "
                "the import goes on."), "info")
    else:
        new = sum(len(s.new_lines) for s in result.statements)
        matched = sum(1 for s in result.statements for line in s.new_lines if line.status == "matched")
        waiting = sum(1 for s in result.statements for line in s.new_lines if line.status == "unmatched")
        flash(ngettext("%(num)d line imported: %(matched)s matched to contributions (by reference, or by the "
                       "payer's enterprise number and amount), %(waiting)s waiting to be matched.",
                       "%(num)d lines imported: %(matched)s matched to contributions (by reference, or by the "
                       "payer's enterprise number and amount), %(waiting)s waiting to be matched.", new,
                       matched=matched, waiting=waiting), "success")
        repeated = sum(s.repeated_lines for s in result.statements)
        if repeated:
            flash(_("%(n)s lines were left out: the same money was already imported with another statement.",
                    n=repeated), "info")
        held = sum(s.possible_duplicates for s in result.statements)
        if held:
            flash(ngettext("%(num)d line looks like money already imported with another statement: it was not "
                           "booked. Open it to match or dismiss it.",
                           "%(num)d lines look like money already imported with another statement: they were not "
                           "booked. Open them to match or dismiss them.", held), "warning")
    if len(result.statements) > 1 and not result.importing:
        return redirect(url_for(".statements"))
    return redirect(url_for(".statement", statement_id=first.statement.id))


@bp.get("/bank-statements/<int:statement_id>")
@require(Permission.ADMIN_RECONCILE)
def statement(statement_id: int):  # type: ignore[no-untyped-def]
    found = statement_services.get_statement(db.session, current_user, statement_id)
    after = _after()
    rows = line_services.list_lines(db.session, current_user, line_services.LineFilters(statement_id=found.id),
                               limit=PAGE_SIZE + 1, after_id=after)
    page = rows[:PAGE_SIZE]
    importer = db.session.get(User, found.imported_by) if found.imported_by else None
    return render_template(
        "fund_admin/bank_statements/statement.html", statement=found, lines=page, importer=importer,
        failure=_(found.failure_reason) if found.failure_reason else None,
        figures=statement_services.statement_figures(db.session, [found.id])[found.id],
        next_url=url_for(".statement", statement_id=found.id, after=page[-1].id) if len(rows) > PAGE_SIZE else None,
        first_url=after and url_for(".statement", statement_id=found.id), **_labels())


@bp.get("/bank-lines")
@require(Permission.ADMIN_RECONCILE)
def lines():  # type: ignore[no-untyped-def]
    form = LineFilterForm(request.args)
    rows: list[BankLine] = []
    totals = (0, 0)
    next_url = None
    valid = form.validate()
    if valid and form.from_on.data and form.to_on.data and form.from_on.data > form.to_on.data:
        form.to_on.errors = [_("The end of the period comes before its start.")]
        valid = False
    if valid:
        filters = line_services.LineFilters(status=form.status.data or None, from_on=form.from_on.data,
                                       to_on=form.to_on.data, statement_id=form.statement_id.data,
                                       search=read_search(form.q.data))
        found = line_services.list_lines(db.session, current_user, filters, limit=PAGE_SIZE + 1, after_id=_after())
        rows = found[:PAGE_SIZE]
        totals = line_services.line_totals(db.session, current_user, filters)
        if len(found) > PAGE_SIZE:
            next_url = url_for(".lines", **_filter_args(form), after=rows[-1].id)
    return render_template("fund_admin/bank_statements/lines.html", form=form, lines=rows, total_count=totals[0],
                           total_cents=totals[1], next_url=next_url,
                           first_url=request.args.get("after") and url_for(".lines", **_filter_args(form)),
                           **_labels()), 200 if valid else 422


def _filter_args(form: LineFilterForm) -> dict[str, str]:
    return {"status": form.status.data or "",
            "from_on": form.from_on.data.isoformat() if form.from_on.data else "",
            "to_on": form.to_on.data.isoformat() if form.to_on.data else "",
            "statement_id": str(form.statement_id.data or ""), "q": form.q.data or ""}


@bp.get("/bank-lines/<int:line_id>")
@require(Permission.ADMIN_RECONCILE)
def line(line_id: int):  # type: ignore[no-untyped-def]
    return _render_line(line_id, MatchForm(), DismissForm(), SplitForm(formdata=None))


def _render_line(line_id: int, match_form: MatchForm, dismiss_form: DismissForm, split_form: SplitForm,
                 status: int = 200) -> tuple[str, int]:
    found = line_services.get_line(db.session, current_user, line_id)
    suggestions = suggestion_services.suggestions_for(db.session, found)
    match_form.contribution_id.choices = [(s.contribution_id, str(s.contribution_id)) for s in suggestions]
    decider = db.session.get(User, found.decided_by) if found.decided_by else None
    ids = [a.contribution_id for a in found.allocations]
    contributions = {c.id: c for c in db.session.scalars(select(Contribution).where(Contribution.id.in_(ids)))}
    return render_template("fund_admin/bank_statements/line.html", line=found, suggestions=suggestions,
                           match_form=match_form, dismiss_form=dismiss_form, split_form=split_form.pad(),
                           decider=decider,
                           contributions=contributions, given_back_by=line_services.given_back_by(db.session, found),
                           returned_transfer=line_services.transfer_it_returned(db.session, found),
                           **_labels()), status




@bp.post("/bank-lines/<int:line_id>/match")
@require(Permission.ADMIN_RECONCILE)
def match(line_id: int):  # type: ignore[no-untyped-def]
    if request.form.get("split"):  # the split form posts here too: one address for matching a line, any way
        return _split(line_id)
    form = MatchForm()
    back = url_for(".line", line_id=line_id)
    return form_post(
        form, lambda: line_services.match_line(db.session, current_user, line_id,
                                               contribution_id=form.contribution_id.data,
                                               reference=form.structured_reference.data, reason=form.reason.data,
                                               now=utcnow()),
        errors=(ValidationFailed,), flashed=(Conflict,), back=back,
        done=lambda matched: saved(_("The line is matched: its money is recorded as a payment of the contribution.")
                                   if matched[1] else _("The line was already matched to this contribution: nothing "
                                                        "changed."), back),
        again=lambda status: _render_line(line_id, form, DismissForm(formdata=None), SplitForm(formdata=None), status))


def _split(line_id: int) -> Any:
    """Split a line over the contributions of the form's filled rows, to the cent (the service checks the sum)."""
    form = SplitForm()
    back = url_for(".line", line_id=line_id)

    def split() -> Any:
        rows = [row for row in form.allocations if row.contribution_id.data is not None or row.amount.data is not None]
        try:
            return line_services.match_line(
                db.session, current_user, line_id, reason=form.reason.data, now=utcnow(),
                allocations=[{"contribution_id": row.contribution_id.data, "amount_cents": row.amount.data}
                             for row in rows])
        except ValidationFailed as error:
            raise _on_rows(error, rows)  # the problems of a row shown on it

    def again(status: int) -> tuple[str, int]:
        # The form's own checks found a row wrong (a refusal has its reason at the top already).
        if not form.form_errors and any(row.errors for row in form.allocations):
            form.form_errors.append(_("Check the rows marked below."))
        return _render_line(line_id, MatchForm(formdata=None), DismissForm(formdata=None), form, status)

    return form_post(form, split, errors=(ValidationFailed,), flashed=(Conflict,), back=back, again=again,
                     done=lambda split_: saved(_("The line is split: each part is recorded as a payment of its "
                                                 "contribution.") if split_[1]
                                               else _("The line was already split this way: nothing changed."), back))


def _on_rows(error: ValidationFailed, rows: list[Any]) -> ValidationFailed:
    """Put the service's ``allocations.<n>.<field>`` problems on the form's filled rows (``amount_cents`` is the
    row's amount); what concerns the whole split stays in the message at the top of the form."""
    for name, problems in list(error.fields.items()):
        parts = name.split(".")
        if parts[0] != "allocations":
            continue
        del error.fields[name]
        if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
            field = rows[int(parts[1])].contribution_id if parts[2] == "contribution_id" else rows[int(parts[1])].amount
            field.errors = [*field.errors, *(_(p) for p in problems)]
    return error


@bp.post("/bank-lines/<int:line_id>/dismiss")
@require(Permission.ADMIN_RECONCILE)
def dismiss(line_id: int):  # type: ignore[no-untyped-def]
    form = DismissForm()
    back = url_for(".line", line_id=line_id)
    return form_post(
        form, lambda: line_services.dismiss_line(db.session, current_user, line_id, reason=form.reason.data,
                                                 now=utcnow()),
        errors=(ValidationFailed,), flashed=(Conflict,), back=back,
        done=lambda dismissed: saved(_("The line is dismissed: it has left the queue.") if dismissed[1]
                                     else _("The line was already dismissed: nothing changed."), back),
        again=lambda status: _render_line(line_id, MatchForm(formdata=None), form, SplitForm(formdata=None), status))


BATCH_STATUS_LABELS = {"created": _l("File created, not paid yet"), "paid": _l("Paid"),
                       "rejected": _l("Refused by the bank")}


@bp.get("/payouts")
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def payout_batches():  # type: ignore[no-untyped-def]
    return _render_batches(CreateBatchForm())


def _render_batches(form: FlaskForm, status: int = 200) -> tuple[str, int]:
    before = page_arg()
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

    def create() -> Any:
        settings = fund_account_settings(current_app.config)
        return payouts.create_payout_batch(
            db.session, current_user, today=today_in_brussels(), now=utcnow(), debtor_iban=settings["FUND_IBAN"],
            debtor_name=settings["FUND_NAME"], debtor_bic=settings["FUND_BIC"],
            xsd_path=settings["PAIN001_XSD_PATH"])

    return form_post(form, create, again=lambda status: _render_batches(form, status),
                     done=lambda batch: saved(_("Payout batch %(id)s is ready: download its file and upload it to the "
                                                "fund's bank.", id=batch.id),
                                              url_for(".payout_batch", batch_id=batch.id)))


@bp.get("/payouts/<int:batch_id>")
@require(Permission.ADMIN_PAYOUTS_MANAGE)
def payout_batch(batch_id: int):  # type: ignore[no-untyped-def]
    return _render_batch(batch_id, MarkPaidForm())


def _render_batch(batch_id: int, form: FlaskForm, status: int = 200) -> tuple[str, int]:
    batch = payouts.get_batch(db.session, current_user, batch_id)
    return render_template("fund_admin/payout.html", batch=batch, form=form,
                           rows=payouts.batch_claims(db.session, batch.id), batch_status_labels=BATCH_STATUS_LABELS,
                           claim_status_labels=CLAIM_STATUS_LABELS, reason_words=pain002.REASON_WORDS), status


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
    back = url_for(".payout_batch", batch_id=batch_id)
    return form_post(form, lambda: payouts.mark_batch_paid(db.session, current_user, batch_id,
                                                           today=today_in_brussels(), now=utcnow()),
                     errors=(), flashed=(Conflict,), back=back,
                     again=lambda status: _render_batch(batch_id, form, status),
                     done=lambda paid: saved(_("Payout batch %(id)s is marked as paid. Its claims are paid.",
                                               id=batch_id), back))
