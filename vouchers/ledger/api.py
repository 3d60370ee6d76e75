"""JSON API of the fund's reconciliation and reports (API.md): the figures of a period, the rows
behind each figure, and every report as CSV."""

from __future__ import annotations

from typing import Any

from flask import Response, stream_with_context
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from portal.api_views import endpoint
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import ValidationFailed
from portal.pagination import decode_id_cursor, encode_cursor
from portal.permissions import Permission
from vouchers.ledger import domain
from vouchers.ledger.domain import Period, check_period
from vouchers.ledger.schemas import (
    CorrectionSchema,
    FundPositionSchema,
    LedgerEntryHistorySchema,
    LedgerEntrySchema,
)
from vouchers.ledger.services import (
    corrections,
    journal,
    reconciliation,
    report_tables,
    reports,
)
from vouchers.ledger.services import entries as ledger
from vouchers.ledger.services.reconciliation import FIGURES, Figure
from vouchers.ledger.views import bank_lines_url

blp = Blueprint("ledger_api", __name__, description="The fund's reconciliation of a period, and its reports")

@endpoint(blp, "/admin/fund-position", access=(Permission.ADMIN_REPORTS_VIEW,), response=(200, FundPositionSchema))
def fund_position():  # type: ignore[no-untyped-def]
    """The fund's balance as sums over the ledger: cash, committed, payable and what is available."""
    today = today_in_brussels()
    position = ledger.fund_position(db.session, on=today)
    return {"cash_cents": position.cash_cents, "committed_cents": position.committed_cents,
            "payable_cents": position.payable_cents, "available_cents": position.available_cents, "on": today}






def _checked(data: dict[str, Any], *, required: bool) -> Period | None:
    """The query's period; without ``required``, none at all is also fine (the default applies)."""
    if not required and data.get("from_on") is None and data.get("to_on") is None:
        return None
    try:
        return check_period(data.get("from_on"), data.get("to_on"))
    except ValidationFailed as error:
        raise ValidationError(error.fields) from error


class PeriodQuerySchema(Schema):
    from_on = fields.Date(required=True, metadata={"description": "First day of the period (included)."})
    to_on = fields.Date(required=True, metadata={"description": "Last day of the period (included); at most "
                                                                "366 days after from_on, counting both."})

    @validates_schema
    def period_is_valid(self, data: dict[str, Any], **_: Any) -> None:
        _checked(data, required=True)


class FigureSchema(Schema):
    count = fields.Integer(required=True)
    amount_cents = fields.Integer(required=True)


class ContributionFiguresSchema(Schema):
    basis = fields.String(required=True, metadata={
        "description": "Always `due_on`: the contributions whose due day falls in the period."})
    expected = fields.Nested(FigureSchema, required=True, metadata={"description": "Contributions due in the "
                                                                    "period; cents: the amounts due."})
    unpaid = fields.Nested(FigureSchema, required=True, metadata={"description": "Nothing received; cents: owed."})
    processing = fields.Nested(FigureSchema, required=True, metadata={
        "description": "A card payment in flight (only when the period includes today); cents: owed."})
    partially_paid = fields.Nested(FigureSchema, required=True, metadata={"description": "cents: received."})
    paid = fields.Nested(FigureSchema, required=True, metadata={"description": "cents: received."})
    overpaid = fields.Nested(FigureSchema, required=True, metadata={"description": "cents: received."})
    refunded = fields.Nested(FigureSchema, required=True, metadata={"description": "cents: given back."})
    overdue = fields.Nested(FigureSchema, required=True, metadata={
        "description": "Unpaid or partly paid after the due day, on as_of_on; cents: still owed."})
    received_cents = fields.Integer(required=True, metadata={"description": "Net of refunds, all of them."})
    outstanding_cents = fields.Integer(required=True, metadata={"description": "Still owed, all of them."})
    excess_cents = fields.Integer(required=True, metadata={"description": "Received beyond the amounts due."})


class CashSchema(Schema):
    opening_cents = fields.Integer(required=True, metadata={"description": "Cash held the day before from_on."})
    received = fields.Nested(FigureSchema, required=True, metadata={"description": "Contribution payments."})
    refunds = fields.Nested(FigureSchema, required=True, metadata={"description": "Refunds, as positive cents."})
    funding = fields.Nested(FigureSchema, required=True, metadata={"description": "The fund's own funding."})
    claims_paid = fields.Nested(FigureSchema, required=True, metadata={"description": "Paid to providers."})
    other_cents = fields.Integer(required=True, metadata={"description": "Any other cash movement."})
    closing_cents = fields.Integer(required=True, metadata={
        "description": "Cash held on to_on = opening + received - refunds + funding - claims_paid + other."})


class UnmatchedSchema(FigureSchema):
    queue_url = fields.String(required=True, metadata={"description": "The bank lines waiting for a person."})


class ClaimFiguresSchema(Schema):
    approved = fields.Nested(FigureSchema, required=True)
    paid = fields.Nested(FigureSchema, required=True)


class BalanceSchema(Schema):
    cash_cents = fields.Integer(required=True)
    committed_cents = fields.Integer(required=True, metadata={"description": "Voucher value promised, unclaimed."})
    payable_cents = fields.Integer(required=True, metadata={"description": "Approved claims not paid yet."})
    fund_balance_cents = fields.Integer(required=True, metadata={"description": "cash - committed - payable: "
                                                                                "what route-B approvals draw on."})


class ReconciliationSchema(Schema):
    from_on = fields.Date(required=True)
    to_on = fields.Date(required=True)
    as_of_on = fields.Date(required=True, metadata={"description": "The day the contributions' states are "
                                                                   "judged on: to_on, or today if earlier."})
    contributions = fields.Nested(ContributionFiguresSchema, required=True)
    cash = fields.Nested(CashSchema, required=True, metadata={"description": "Money in and out in the period."})
    unmatched = fields.Nested(UnmatchedSchema, required=True, metadata={
        "description": "Bank-statement credit lines of the period matched to no contribution."})
    claims = fields.Nested(ClaimFiguresSchema, required=True, metadata={
        "description": "Claims whose approval or payment the ledger booked in the period."})
    balance = fields.Nested(BalanceSchema, required=True, metadata={"description": "On to_on, from the ledger."})


class RowsQuerySchema(PeriodQuerySchema):
    figure = fields.String(required=True, validate=validate.OneOf(FIGURES), metadata={
        "description": "The figure whose rows to list: contributions (expected, unpaid, …, overdue), cash movements "
                       "(received, refunds, funding), claims (claims_approved, claims_paid) or a balance "
                       "(cash, committed, payable: every entry up to to_on)."})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))


class RowSchema(Schema):
    object_type = fields.String(required=True, metadata={"enum": ["contribution", "ledger_entry", "claim"]})
    id = fields.Integer(required=True)
    on = fields.Date(required=True, metadata={"description": "A contribution's due day; an entry's booking day."})
    amount_cents = fields.Integer(required=True)
    received_cents = fields.Integer(allow_none=True, metadata={"description": "Contributions: net of refunds."})
    refunded_cents = fields.Integer(allow_none=True)
    outstanding_cents = fields.Integer(allow_none=True)
    state = fields.String(allow_none=True, metadata={"description": "A contribution's state or a claim's status."})
    is_overdue = fields.Boolean(allow_none=True)
    structured_reference = fields.String(allow_none=True)
    employer_name = fields.String(allow_none=True)
    declaration_id = fields.Integer(allow_none=True)
    provider_id = fields.Integer(allow_none=True)
    provider_name = fields.String(allow_none=True)
    account = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    memo = fields.String(allow_none=True)
    voucher_id = fields.Integer(allow_none=True)
    contribution_id = fields.Integer(allow_none=True)
    claim_id = fields.Integer(allow_none=True)
    payout_batch_id = fields.Integer(allow_none=True)


class RowsPageSchema(Schema):
    figure = fields.String(required=True)
    items = fields.List(fields.Nested(RowSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ReportQuerySchema(Schema):
    from_on = fields.Date(load_default=None, metadata={
        "description": "With to_on: the period (at most 366 days). Default: the last twelve months, or this month "
                       "for `reconciliation`. Not used by `contribution-aging` and `waiting-list`."})
    to_on = fields.Date(load_default=None)
    on = fields.Date(load_default=None, metadata={"description": "`contribution-aging` only: the day (default today)."})

    @validates_schema
    def period_is_valid(self, data: dict[str, Any], **_: Any) -> None:
        _checked(data, required=False)
        on = data.get("on")
        if on is not None and not domain.EARLIEST_ON <= on <= domain.LATEST_ON:
            raise ValidationError({"on": ["Give a date between 2000-01-01 and 2099-12-31."]})


def _figure(figure: Figure) -> dict[str, int]:
    return {"count": figure.count, "amount_cents": figure.cents}


def reconciliation_payload(figures: reconciliation.Reconciliation) -> dict[str, Any]:
    c, cash, position = figures.contributions, figures.cash, figures.position
    period = figures.period
    return {
        "from_on": period.from_on, "to_on": period.to_on, "as_of_on": figures.as_of_on,
        "contributions": {"basis": "due_on", "expected": _figure(c.expected), "unpaid": _figure(c.unpaid),
                          "processing": _figure(c.processing), "partially_paid": _figure(c.partially_paid),
                          "paid": _figure(c.paid), "overpaid": _figure(c.overpaid), "refunded": _figure(c.refunded),
                          "overdue": _figure(c.overdue), "received_cents": c.received_cents,
                          "outstanding_cents": c.outstanding_cents, "excess_cents": c.excess_cents},
        "cash": {"opening_cents": cash.opening_cents, "received": _figure(cash.received),
                 "refunds": _figure(cash.refunds), "funding": _figure(cash.funding),
                 "claims_paid": _figure(cash.paid_out), "other_cents": cash.other_cents,
                 "closing_cents": cash.closing_cents},
        "unmatched": {**_figure(figures.unmatched),
                      "queue_url": bank_lines_url(period)},
        "claims": {"approved": _figure(figures.claims_approved), "paid": _figure(figures.claims_paid)},
        "balance": {"cash_cents": position.cash_cents, "committed_cents": position.committed_cents,
                    "payable_cents": position.payable_cents, "fund_balance_cents": position.available_cents},
    }


@endpoint(blp, "/admin/reconciliation", access=(Permission.ADMIN_REPORTS_VIEW,), query=PeriodQuerySchema,
          response=(200, ReconciliationSchema), commits=True)  # keeps the past months it closed (services.closings)
def get_reconciliation(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The period's reconciliation: contributions due in it (expected, paid, partially paid, overpaid,
    refunded, overdue), money in and out, unmatched bank money, claims approved and paid, and the fund's
    balance and committed voucher value on its last day. Every figure is counts and integer cents.

    Unmatched money and bank payments reflect the matches known when the figures are computed: a late
    manual match (a bank line of the period matched after it) is booked on the line's own day, so it
    changes a past period's unmatched figure and its money received when asked again. Contribution
    states are judged as of the period's last day (`as_of_on`, today while the period runs): money booked
    after it does not count."""
    today = today_in_brussels()
    period = Period(query["from_on"], query["to_on"])
    return reconciliation_payload(reconciliation.reconcile(db.session, current_user, period, today=today))


def row_payload(row: Any) -> dict[str, Any]:
    if isinstance(row, reconciliation.ContributionRow):
        return {"object_type": "contribution", "id": row.id, "on": row.due_on, "amount_cents": row.amount_cents,
                "received_cents": row.received_cents, "refunded_cents": row.refunded_cents,
                "outstanding_cents": row.outstanding_cents, "state": row.state, "is_overdue": row.is_overdue,
                "structured_reference": row.reference, "employer_name": row.employer_name,
                "declaration_id": row.declaration_id, "contribution_id": row.id}
    if isinstance(row, reconciliation.ClaimRow):
        return {"object_type": "claim", "id": row.id, "on": row.booked_on, "amount_cents": row.amount_cents,
                "state": row.status, "provider_id": row.provider_id, "provider_name": row.provider_name,
                "voucher_id": row.voucher_id, "claim_id": row.id, "payout_batch_id": row.payout_batch_id}
    return {"object_type": "ledger_entry", "id": row.id, "on": row.booked_on, "amount_cents": row.amount_cents,
            "account": row.account, "kind": row.kind, "memo": row.memo, "voucher_id": row.voucher_id,
            "contribution_id": row.contribution_id, "claim_id": row.claim_id}


@endpoint(blp, "/admin/reconciliation/rows", access=(Permission.ADMIN_REPORTS_VIEW,), query=RowsQuerySchema,
          response=(200, RowsPageSchema))
def get_reconciliation_rows(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The records behind one figure of the period's reconciliation, in id order."""
    page = reconciliation.figure_rows(db.session, current_user, Period(query["from_on"], query["to_on"]),
                                      query["figure"], today=today_in_brussels(), limit=query["limit"],
                                      after_id=decode_id_cursor(query["cursor"]))
    return {"figure": page.figure, "items": [row_payload(row) for row in page.rows],
            "next_cursor": encode_cursor([page.next_after]) if page.next_after is not None else None}


@endpoint(blp, "/admin/reports/<name>.csv", access=(Permission.ADMIN_REPORTS_VIEW,), query=ReportQuerySchema,
          parameters=[{"in": "path", "name": "name", "required": True, "description": "The report.",
                       "schema": {"type": "string", "enum": list(reports.REPORTS)}}],
          response=None, doc={"responses": {
              "200": {"description": "UTF-8 CSV with a header row; money in integer cents, each amount also in euros.",
                      "content": {"text/csv": {"schema": {"type": "string"}}}},
              "404": {"description": "No report has this name."}}})
def report_csv(query: dict[str, Any], name: str):  # type: ignore[no-untyped-def]
    """A report as CSV: money-in-out, contribution-aging, decision-compliance, provider-volumes, waiting-list
    or reconciliation (the same figures as `GET /admin/reconciliation`)."""
    today = today_in_brussels()
    period = _checked(query, required=False)
    header, rows = report_tables.report_table(db.session, current_user, name, today=today, period=period,
                                        on=query["on"])
    suffix = f"{period.from_on}_{period.to_on}" if period else (query["on"] or today).isoformat()
    return Response(report_tables.to_csv(header, rows), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}_{suffix}.csv"', "Cache-Control": "no-store"})


@endpoint(blp, "/admin/ledger/journal.csv", access=(Permission.ADMIN_REPORTS_VIEW,), query=PeriodQuerySchema,
          response=None, doc={"responses": {
              "200": {"description": "UTF-8 CSV with a header row, one line per ledger entry booked in the period, in "
                                     "booking order (booked_on, then entry_id). `account` takes the amount on the "
                                     "debit (`debit_cents`) or the credit side (`credit_cents`); `counter_account` "
                                     "takes it on the other side, so each line balances. `account_code` and "
                                     "`counter_account_code` are codes of the Belgian minimum chart of accounts. A "
                                     "correction names the entry it corrects (`corrects_entry_id`).",
                      "content": {"text/csv": {"schema": {"type": "string"}}}}}})
def journal_csv(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The accounting journal of a period: every ledger entry booked from `from_on` to `to_on` (at most 366
    days), with its counter-account, for the fund's accounting system. Accounts: cash (550000), committed
    (010000) and payable (440000), the ledger's own; counter-accounts: commitments (011000), contributions
    (730000), funding (740000), coaching (613000), transfers (580000, both legs of a claim's payment) and suspense
    (499000, a kind the journal does not know)."""
    period = Period(query["from_on"], query["to_on"])
    pieces = journal.journal_csv(db.session, current_user, period)
    return Response(stream_with_context(pieces), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="journal_{period.from_on}_{period.to_on}.csv"',
        "Cache-Control": "no-store"})


def entry_payload(entry: Any) -> dict[str, Any]:
    return {"id": entry.id, "booked_on": entry.booked_on, "account": entry.account, "kind": entry.kind,
            "amount_cents": entry.amount_cents, "voucher_id": entry.voucher_id,
            "contribution_id": entry.contribution_id, "claim_id": entry.claim_id, "memo": entry.memo,
            "corrects_entry_id": entry.corrects_entry_id, "created_at": entry.created_at}


@endpoint(blp, "/admin/ledger/entries/<int:entry_id>", access=(Permission.ADMIN_REPORTS_VIEW,),
          response=(200, LedgerEntryHistorySchema), refusals={404: "No such entry"})
def get_entry(entry_id: int):  # type: ignore[no-untyped-def]
    """One ledger entry, what it stands at now, and the entries that correct it."""
    history = corrections.entry_history(db.session, current_user, entry_id)
    return {**entry_payload(history.entry), "standing_cents": history.standing_cents,
            "corrections": [entry_payload(c) for c in history.corrections]}


@endpoint(blp, "/admin/ledger/entries/<int:entry_id>/corrections", method="POST",
          access=(Permission.ADMIN_RECONCILE,), body=CorrectionSchema, response=(201, LedgerEntrySchema),
          refusals={404: "No such entry", 409: "The entry is itself a correction: correct the entry it "
                   "corrects", 422: "No reason; the entry already stands at this amount; an "
                   "amount out of bounds"})
def correct_entry(data: dict[str, Any], entry_id: int):  # type: ignore[no-untyped-def]
    """Correct a ledger entry: entries are never changed or deleted (the database refuses), so the correction is
    a new entry of the same account, kind and record, booked today for the difference between `amount_cents`
    and what the entry stands at. The answer is the correcting entry; the audit log keeps who, when and why."""
    correction = corrections.correct_entry(db.session, current_user, entry_id, amount_cents=data["amount_cents"],
                                           reason=data["reason"], today=today_in_brussels(), now=utcnow())
    return entry_payload(correction)
