"""JSON API of bank statements (API.md: ``POST /admin/bank-statements``) and the queue of their lines."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, url_for
from flask_login import current_user
from flask_smorest import Blueprint

from portal.api_views import endpoint
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.fund_account import fund_account_settings
from portal.mail import commit
from portal.pagination import decode_id_cursor, id_page
from portal.permissions import Permission
from portal.schema_fields import ListQuerySchema
from vouchers.banking.models import BankLine, BankStatement, PayoutBatch
from vouchers.banking.schemas import (
    DismissSchema,
    LineDecisionSchema,
    LineDetailSchema,
    LineListQuerySchema,
    LineListSchema,
    MatchSchema,
    PayoutBatchListSchema,
    PayoutBatchSchema,
    StatementListSchema,
    StatementSchema,
    StatementUploadSchema,
    UploadResultSchema,
)
from vouchers.banking.services import lines as line_services
from vouchers.banking.services import payouts
from vouchers.banking.services import statements as statement_services
from vouchers.banking.services import suggestions as suggestion_services
from vouchers.banking.services.background_import import receive_upload
from vouchers.employers.domain import format_structured_reference
from vouchers.search import read_search

blp = Blueprint("banking_api", __name__,
                description="Bank statements (CAMT.053 or CODA) and the matching of their lines")




DUPLICATE_MESSAGE = "This statement was imported before: nothing was added."


def statement_payload(statement: BankStatement, figures: statement_services.Figures, **extra: Any) -> dict[str, Any]:
    return {"id": statement.id, "account": statement.account, "statement_ref": statement.statement_ref,
            "sequence": statement.sequence, "legal_sequence": statement.legal_sequence,
            "message_id": statement.message_id, "version": statement.version, "currency": statement.currency,
            "issued_on": statement.issued_on, "from_on": statement.from_on, "to_on": statement.to_on,
            "opening_balance_cents": statement.opening_balance_cents,
            "closing_balance_cents": statement.closing_balance_cents, "file_name": statement.file_name,
            "schema_valid": statement.schema_valid, "imported_at": statement.imported_at,
            "line_count": figures.line_count, "credit_count": figures.credit_count,
            "credit_cents": figures.credit_cents, "debit_count": figures.debit_count,
            "debit_cents": figures.debit_cents, "matched_count": figures.matched_count,
            "matched_cents": figures.matched_cents, "unmatched_count": figures.unmatched_count,
            "unmatched_cents": figures.unmatched_cents, "dismissed_count": figures.dismissed_count,
            "dismissed_cents": figures.dismissed_cents,
            "failure_reason": statement.failure_reason, **progress_of(statement, figures),
            "matched": figures.matched_count, "unmatched": figures.unmatched_count, **extra}


def progress_of(statement: BankStatement, figures: statement_services.Figures) -> dict[str, Any]:
    """API.md's ``status``, ``lines_total``, ``lines_done``: while a statement is read in the background, its lines
    in the file and how many are done; once imported, its lines (those whose money was new)."""
    if statement.status == "imported":
        return {"status": "imported", "lines_total": figures.line_count, "lines_done": figures.line_count}
    return {"status": statement.status, "lines_total": statement.lines_total or 0,
            "lines_done": statement.lines_done or 0}


def line_payload(line: BankLine, **extra: Any) -> dict[str, Any]:
    return {"id": line.id, "statement_id": line.statement_id, "entry_index": line.entry_index,
            "tx_index": line.tx_index, "direction": line.direction, "amount_cents": line.amount_cents,
            "currency": line.currency, "booked_on": line.booked_on, "value_on": line.value_on, "status": line.status,
            "ignore_reason": line.ignore_reason,
            "structured_reference": format_structured_reference(line.structured_reference)
            if line.structured_reference else None,
            "structured_references": [format_structured_reference(r) for r in line.references],
            "reference_text": line.reference_text, "remittance_text": line.remittance_text,
            "entry_reference": line.entry_reference, "end_to_end_id": line.end_to_end_id,
            "counterparty_name": line.counterparty_name, "counterparty_iban": line.counterparty_iban,
            "enterprise_number": line.enterprise_number, "hold_reason": line.hold_reason,
            "possible_duplicate_of": line.possible_duplicate_of, "contribution_id": line.contribution_id,
            "allocations": [{"contribution_id": a.contribution_id, "amount_cents": a.amount_cents}
                            for a in line.allocations],
            "returns_credit": line.returns_credit, "reverses_line_id": line.reverses_line_id,
            "is_return": line.is_return, "return_reason_code": line.return_reason_code,
            "match_method": line.match_method, "decided_by": line.decided_by, "decided_at": line.decided_at,
            "decision_reason": line.decision_reason, **extra}


@endpoint(blp, "/admin/bank-statements", method="POST", access=(Permission.ADMIN_RECONCILE,),
          body=StatementUploadSchema, body_location="files", response=(201, UploadResultSchema),
          response_description="New statements were imported; credit lines with a contribution's structured "
                               "reference are matched",
          answers={200: (UploadResultSchema, ("Every statement in the file was imported before: nothing was added "
                                             "(`duplicate` is true)")),
                   202: (UploadResultSchema, ("A large file (more than 200 lines): it was checked, and is read in the "
                                             "background (`status: importing`); follow "
                                             "`GET /admin/bank-statements/{id}`"))},
          refusals={409: "The same statement is being imported at this moment",
                    413: "The file is larger than 20 MB (`file_too_large`): nothing was imported",
                    422: "No file, or not a readable CAMT.053 or CODA statement (neither format: "
                         "`statement_format_unknown`; malformed XML, another message type, an entry without amount "
                         "or date; a CODA line that is no record, out of place, or with an unreadable amount or "
                         "date, named by its line and positions): nothing was imported"},
          commits=False)  # the view commits before it builds the answer
def upload_statement(files: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Import a CAMT.053 or CODA file (multipart field `file`; the format is read from the content, never the file
    name). Importing the same statement again adds nothing and answers 200 with `duplicate: true` and the
    statement as it stands; so does the same file (same bytes) again. Only credits in euros are matched: by the
    Belgian structured reference (`RmtInf/Strd/CdtrRefInf/Ref`, or typed in `Ustrd` in any usual way; in CODA, the
    structured communication 101 or 102 of record 2.1, or typed in the free communication), recorded as the
    contribution's payment; several references split the amount to the cent, in the payer's order, each
    contribution taking what it still owes and the last one any rest. A reversal or return of a booked credit
    undoes what that credit paid when the credit is found for sure. A pending entry books nothing; the booked one
    that follows it is matched. A credit without a usable reference is matched by its payer's enterprise number
    (any the line names) and its amount only when exactly one open contribution of those employers owes exactly
    that amount. A file of more than 200 lines (all its statements together) is checked and answered at once
    with 202 and `status: importing`: it is read in the background, all or nothing (`failed`, with
    `failure_reason`, books nothing), and `GET /admin/bank-statements/{id}` gives `lines_done` of `lines_total`
    meanwhile. The rest waits in
    `GET /admin/bank-lines?status=unmatched`, with a `hold_reason` when a line carried a contribution's reference
    but a person must decide: `possible_duplicate` (it looks like the line `possible_duplicate_of`, imported
    with another statement) or `amount_too_large` (more than 100 times the contribution)."""
    upload = files["file"]
    result = receive_upload(db.session, current_user, statement_services.read_upload(upload),
                            file_name=upload.filename, now=utcnow(),
                            xsd_path=current_app.config.get("CAMT053_XSD_PATH"))
    commit()
    return upload_payload(result), 200 if result.duplicate else 202 if result.importing else 201


def upload_payload(result: statement_services.ImportResult) -> dict[str, Any]:
    ids = [s.statement.id for s in result.statements]
    figures = statement_services.statement_figures(db.session, ids)
    groups: dict[str, list[dict[str, Any]]] = {"matched": [], "unmatched": [], "dismissed": [], "ignored": []}
    for line in line_services.list_lines_of(db.session, current_user, ids):
        groups[line.status].append(line_payload(line))
    statements = [statement_payload(s.statement, figures[s.statement.id], duplicate=s.duplicate,
                                    repeated_lines=s.repeated_lines, possible_duplicates=s.possible_duplicates)
                  for s in result.statements]
    if result.duplicate:
        message = DUPLICATE_MESSAGE
    elif result.importing:
        message = (f"{sum(s['lines_total'] for s in statements if s['status'] == 'importing')} lines are being "
                   "imported in the background: follow the statement's status.")
    else:
        message = (f"{sum(len(s.new_lines) for s in result.statements)} lines imported: {len(groups['matched'])} "
                   f"matched, {len(groups['unmatched'])} waiting to be matched.")
        held = sum(s.possible_duplicates for s in result.statements)
        if held:
            message += (f" {held} of them look like money already imported with another statement "
                        "(possible duplicates): a person decides.")
    # API.md: the upload answers like the statement it made (the first one, when a file holds several), with
    # counts of lines; the lines themselves follow, by what became of them.
    first = next((s for s in statements if s["status"] == "importing"), statements[0] if statements else {})
    totals = {"id": first.get("id"), "status": "importing" if result.importing else "imported",
              "lines_total": sum(s["lines_total"] for s in statements),
              "lines_done": sum(s["lines_done"] for s in statements),
              "matched": len(groups["matched"]), "unmatched": len(groups["unmatched"])}
    return {**totals, "duplicate": result.duplicate, "message": message, "statements": statements,
            **{f"{name}_lines": lines for name, lines in groups.items()}}


@endpoint(blp, "/admin/bank-statements", access=(Permission.ADMIN_RECONCILE,),
          query=LineListQuerySchema(only=("limit", "cursor")), response=(200, StatementListSchema))
def list_statements(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Imported statements, newest first, with their figures."""
    rows = statement_services.list_statements(db.session, current_user, limit=query["limit"] + 1,
                                    before_id=decode_id_cursor(query["cursor"]))
    page, next_cursor = id_page(rows, query["limit"])
    figures = statement_services.statement_figures(db.session, [s.id for s in page])
    return {"items": [statement_payload(s, figures[s.id]) for s in page], "next_cursor": next_cursor}


@endpoint(blp, "/admin/bank-statements/<int:statement_id>", access=(Permission.ADMIN_RECONCILE,),
          response=(200, StatementSchema), refusals={404: "No such statement"})
def get_statement(statement_id: int):  # type: ignore[no-untyped-def]
    """One statement and its figures; its lines are at `GET /admin/bank-lines?statement_id=`."""
    statement = statement_services.get_statement(db.session, current_user, statement_id)
    return statement_payload(statement, statement_services.statement_figures(db.session, [statement.id])[statement.id])


@endpoint(blp, "/admin/bank-lines", access=(Permission.ADMIN_RECONCILE,), query=LineListQuerySchema,
          response=(200, LineListSchema))
def list_lines(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Bank lines in import order, filtered by `status` (`unmatched` is the queue), the booking day
    (`from_on`, `to_on`, inclusive) and `statement_id`, and found by `q` (a payer's name or enterprise number, a
    structured reference, a worker's national number, a line or contribution number); `total_count`/`total_cents`
    cover every page."""
    filters = line_services.LineFilters(status=query["status"], from_on=query["from_on"], to_on=query["to_on"],
                                   statement_id=query["statement_id"], search=read_search(query["q"]))
    rows = line_services.list_lines(db.session, current_user, filters, limit=query["limit"] + 1,
                               after_id=decode_id_cursor(query["cursor"]))
    page, next_cursor = id_page(rows, query["limit"])
    count, total = line_services.line_totals(db.session, current_user, filters)
    return {"items": [line_payload(line) for line in page], "next_cursor": next_cursor, "total_count": count,
            "total_cents": total}


@endpoint(blp, "/admin/bank-lines/<int:line_id>", access=(Permission.ADMIN_RECONCILE,),
          response=(200, LineDetailSchema), refusals={404: "No such line"})
def get_line(line_id: int):  # type: ignore[no-untyped-def]
    """One line; while it is unmatched, the contributions it may pay (by the payer's enterprise number or IBAN,
    and by amount), best first."""
    line = line_services.get_line(db.session, current_user, line_id)
    suggestions = suggestion_services.suggestions_for(db.session, line)
    return line_payload(line, suggestions=[{**s.__dict__, "structured_reference": format_structured_reference(
        s.structured_reference)} for s in suggestions])


@endpoint(blp, "/admin/bank-lines/<int:line_id>/match", method="POST", access=(Permission.ADMIN_RECONCILE,),
          body=MatchSchema, response=(200, LineDecisionSchema),
          refusals={404: "No such line", 409: "The line is matched otherwise, dismissed, or left out of "
                   "matching (a debit, pending, not in euros)", 422: "No reason; no contribution or an unknown one; allocations "
                   "that do not add up to the line's amount, or a reversal "
                   "taking back more than a contribution received"})
def match_line(data: dict[str, Any], line_id: int):  # type: ignore[no-untyped-def]
    """Record an unmatched line, with a reason, as the money of one contribution (`contribution_id`, or its
    `structured_reference`: the whole line) or of several (`allocations`: `[{contribution_id, amount_cents}]`,
    to the cent). For a line that gives a credit back (`returns_credit`), the amounts are what it takes back:
    the contributions' money and status follow. The same match again changes nothing (`changed: false`)."""
    line, changed = line_services.match_line(db.session, current_user, line_id, contribution_id=data["contribution_id"],
                                             reference=data["structured_reference"], allocations=data["allocations"],
                                             reason=data["reason"], now=utcnow())
    return line_payload(line, changed=changed)


@endpoint(blp, "/admin/bank-lines/<int:line_id>/dismiss", method="POST", access=(Permission.ADMIN_RECONCILE,),
          body=DismissSchema, response=(200, LineDecisionSchema),
          refusals={404: "No such line", 409: "The line is matched, or not a credit in euros", 422: "No reason"})
def dismiss_line(data: dict[str, Any], line_id: int):  # type: ignore[no-untyped-def]
    """Take an unmatched credit out of the queue with a reason (it is no contribution). Again: no change."""
    line, changed = line_services.dismiss_line(db.session, current_user, line_id, reason=data["reason"], now=utcnow())
    return line_payload(line, changed=changed)


def batch_payload(batch: PayoutBatch) -> dict[str, Any]:
    return {"id": batch.id, "status": batch.status, "total_cents": batch.total_cents,
            "claim_count": batch.claim_count, "message_id": batch.message_id, "execution_on": batch.execution_on,
            "paid_on": batch.paid_on, "created_at": batch.created_at,
            "download_url": url_for("banking_api.download_payout_file", batch_id=batch.id)}


@endpoint(blp, "/admin/payout-batches", method="POST", access=(Permission.ADMIN_PAYOUTS_MANAGE,),
          response=(201, PayoutBatchSchema),
          refusals={409: "No approved claim waits, or a provider's IBAN is invalid"})
def create_payout_batch():  # type: ignore[no-untyped-def]
    """Bundle every approved claim not yet in a batch into one SEPA credit-transfer file (pain.001.001.03)."""
    settings = fund_account_settings(current_app.config)
    batch = payouts.create_payout_batch(
        db.session, current_user, today=today_in_brussels(), now=utcnow(), debtor_iban=settings["FUND_IBAN"],
        debtor_name=settings["FUND_NAME"], debtor_bic=settings["FUND_BIC"], xsd_path=settings["PAIN001_XSD_PATH"])
    return batch_payload(batch)


@endpoint(blp, "/admin/payout-batches", access=(Permission.ADMIN_PAYOUTS_MANAGE,), query=ListQuerySchema,
          response=(200, PayoutBatchListSchema))
def list_payout_batches(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Payout batches, newest first."""
    rows = payouts.list_batches(db.session, current_user, limit=query["limit"] + 1,
                                before_id=decode_id_cursor(query["cursor"]))
    page, next_cursor = id_page(rows, query["limit"])
    return {"items": [batch_payload(b) for b in page], "next_cursor": next_cursor}


@endpoint(blp, "/admin/payout-batches/<int:batch_id>", access=(Permission.ADMIN_PAYOUTS_MANAGE,),
          response=(200, PayoutBatchSchema))
def get_payout_batch(batch_id: int):  # type: ignore[no-untyped-def]
    """One payout batch."""
    return batch_payload(payouts.get_batch(db.session, current_user, batch_id))


@endpoint(blp, "/admin/payout-batches/<int:batch_id>/pain.001.xml", access=(Permission.ADMIN_PAYOUTS_MANAGE,),
          response=None, doc={"responses": {
              "200": {"description": "The pain.001.001.03 file",
                      "content": {"application/xml": {"schema": {"type": "string"}}}},
              "404": {"description": "No such batch, or a batch without transfers (only zero claims)"}}})
def download_payout_file(batch_id: int):  # type: ignore[no-untyped-def]
    """The batch's SEPA credit-transfer file, as generated (to upload to the fund's bank)."""
    batch = payouts.get_batch(db.session, current_user, batch_id)
    if not batch.xml:
        abort(404)
    return Response(batch.xml, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{batch.message_id}.xml"', "Cache-Control": "no-store"})


@endpoint(blp, "/admin/payout-batches/<int:batch_id>/mark-paid", method="POST",
          access=(Permission.ADMIN_PAYOUTS_MANAGE,), response=(200, PayoutBatchSchema),
          refusals={409: "Already marked as paid"})
def mark_payout_batch_paid(batch_id: int):  # type: ignore[no-untyped-def]
    """The bank executed the file: its claims become paid and the money leaves the ledger, once."""
    batch = payouts.mark_batch_paid(db.session, current_user, batch_id, today=today_in_brussels(), now=utcnow())
    return batch_payload(batch)
