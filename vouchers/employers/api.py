"""Employer API (API.md): dismissals, payment intents, letters and receipts; and the Stripe webhook."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, jsonify, make_response, request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from portal.api_views import endpoint
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import (
    Conflict,
    DomainError,
    ValidationFailed,
    json_error,
    too_large_response,
)
from portal.fund_settings import rules_on
from portal.mail import commit
from portal.payments import GatewayError, WebhookRefused, gateway_for, verify_webhook
from portal.permissions import Permission
from portal.schema_fields import MAX_ID, QueryId, id_from_text
from vouchers.employers import domain
from vouchers.employers.company_access.gate import API_REFUSAL
from vouchers.employers.import_api import ImportJobSchema, import_job_payload
from vouchers.employers.models import CONTRIBUTION_STATUSES, Employer
from vouchers.employers.presenters import dismissal_json
from vouchers.employers.services import background_imports, contributions, letters
from vouchers.employers.services import declarations as declaration_services
from vouchers.employers.services import imports as csv_import
from vouchers.employers.services import payments as payment_services
from vouchers.employers.services.listing import declaration_page

blp = Blueprint("employers_api", __name__, description="Employers' declarations and contributions")

# The CSV import's own limit, below MAX_UPLOAD_MB: 20,000 lines (csv_import.MAX_LINES) take a few MB.
MAX_IMPORT_BYTES = 10 * 1024 * 1024


def read_at_most(stream: Any, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of ``stream``: one byte more than allowed tells a file that is too large
    without reading the rest of it."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


# --- schemas ------------------------------------------------------------------------------------


class DismissalCreateSchema(Schema):
    worker_first_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    worker_last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    worker_niss = fields.String(required=True, validate=validate.Length(min=11, max=20), metadata={
        "description": "The worker's national register (NISS) or BIS number; separators allowed."})
    contract_end_on = fields.Date(required=True, metadata={
        "description": "On or after 2024-04-01 and not in the future."})
    physician_decision_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "The occupational physician's definitive-incapacity decision. A contract ending less than "
                       "21 days after it is accepted with the warning `physician_appeal_period`."})
    # Not strict like Id: a string "12" has always been accepted here; bounded so it can be compared.
    employer_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=MAX_ID),
                                 metadata={"description": "Needed only by a social secretariat's user acting for "
                                                          "several employers; an employer's own users declare for "
                                                          "their employer."})
    agent_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                               metadata={"description": "Optional agent (social secretariat) contact."})
    agent_email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=254))
    agent_phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))


class WarningSchema(Schema):
    code = fields.String(required=True, metadata={"enum": sorted(domain.WARNING_MESSAGES)})
    message = fields.String(required=True)


class ContributionSchema(Schema):
    amount_cents = fields.Integer(required=True)
    paid_cents = fields.Integer(required=True, metadata={
        "description": "Money received less refunds: the sum of the contribution's payments."})
    due_on = fields.Date(required=True, metadata={"description": "Contract end + 45 days, inclusive."})
    structured_reference = fields.String(required=True, metadata={
        "description": "The Belgian structured reference for a bank transfer, as +++xxx/xxxx/xxxxx+++ "
                       "(12 digits, mod-97 check)."})
    status = fields.String(required=True, metadata={"enum": list(CONTRIBUTION_STATUSES)})
    is_overdue = fields.Boolean(required=True, metadata={
        "description": "Unpaid (`due` or `partially_paid`) after `due_on`. A card payment still processing is not "
                       "overdue."})
    overdue_flagged_at = fields.DateTime(allow_none=True, metadata={
        "description": "When the portal flagged the contribution overdue and told the employer (once). Kept after a "
                       "late payment, while `is_overdue` says whether it is unpaid today."})


class CreatedContributionSchema(Schema):
    amount_cents = fields.Integer(required=True)
    due_on = fields.Date(required=True)
    structured_reference = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(CONTRIBUTION_STATUSES)})


class DismissalCreatedSchema(Schema):
    id = fields.Integer(required=True)
    declared_on = fields.Date(required=True)
    declaration_due_on = fields.Date(required=True, metadata={
        "description": "The last day to declare: contract end + 45 days. Later declarations carry the warning "
                       "`late_declaration`."})
    apply_by_on = fields.Date(required=True, metadata={
        "description": "The worker's last day to ask for a voucher: contract end + 6 months."})
    contribution = fields.Nested(CreatedContributionSchema, required=True)
    warnings = fields.List(fields.Nested(WarningSchema), required=True)


class DismissalSchema(Schema):
    id = fields.Integer(required=True)
    employer_id = fields.Integer(required=True)
    worker_first_name = fields.String(required=True)
    worker_last_name = fields.String(required=True)
    worker_niss = fields.String(required=True)
    contract_end_on = fields.Date(required=True)
    physician_decision_on = fields.Date(allow_none=True, required=True)
    declared_on = fields.Date(required=True)
    declaration_due_on = fields.Date(required=True)
    is_late = fields.Boolean(required=True, metadata={"description": "Declared after declaration_due_on."})
    apply_by_on = fields.Date(required=True)
    status = fields.String(required=True, metadata={"enum": ["declared", "cancelled"]})
    agent_name = fields.String(allow_none=True)
    agent_email = fields.String(allow_none=True)
    agent_phone = fields.String(allow_none=True)
    contribution = fields.Nested(ContributionSchema, required=True)
    warnings = fields.List(fields.Nested(WarningSchema), required=True)


class DismissalQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(CONTRIBUTION_STATUSES), metadata={
        "description": "The contribution's status."})
    overdue = fields.Boolean(load_default=None, allow_none=True)
    employer_id = QueryId(load_default=None, metadata={"description": "For agents: one employer only."})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class DismissalPageSchema(Schema):
    items = fields.List(fields.Nested(DismissalSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class PaymentIntentSchema(Schema):
    payment_intent_id = fields.String(required=True)
    client_secret = fields.String(required=True, metadata={
        "description": "For Stripe.js on the payer's device (card or Bancontact). Asking again returns the same "
                       "PaymentIntent while it can still be paid."})


class LetterQuerySchema(Schema):
    lang = fields.String(load_default=None, validate=validate.OneOf(letters.LETTER_LANGUAGES), metadata={
        "description": "fr, nl or de; by default the caller's account language when it is one of them, else fr."})


class ReceiptQuerySchema(Schema):
    lang = fields.String(load_default=None, validate=validate.OneOf(letters.RECEIPT_LANGUAGES))


class ImportLineErrorSchema(Schema):
    line = fields.Integer(required=True)
    field = fields.String(required=True)
    message = fields.String(required=True)


class ImportResultSchema(Schema):
    imported = fields.Integer(required=True)
    ids = fields.List(fields.Integer(), required=True)


class WebhookResultSchema(Schema):
    received = fields.Boolean(required=True)
    duplicate = fields.Boolean(required=True, metadata={"description": "True when this event id was already "
                                                                       "processed: nothing was done again."})


# --- helpers ------------------------------------------------------------------------------------



def _lang(requested: str | None, allowed: tuple[str, ...]) -> str:
    if requested:
        return requested
    language = getattr(current_user, "language", None)
    return language if language in allowed else "fr"


def _pdf(body: bytes, filename: str) -> Any:
    response = make_response(body)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def letter_pdf(declaration: Any, lang: str) -> bytes:
    """The worker's letter for a declaration (shared with the pages)."""
    employer = db.session.get(Employer, declaration.employer_id)
    assert employer is not None
    rules = rules_on(db.session, declaration.contract_end_on)
    facts = letters.LetterFacts(
        worker_first_name=declaration.worker_first_name, worker_last_name=declaration.worker_last_name,
        employer_name=employer.company_name, employer_address=employer.address,
        contract_end_on=declaration.contract_end_on, apply_by_on=domain.apply_by_on(declaration.contract_end_on, rules),
        voucher_value_cents=rules.voucher_value_cents, portal_url=current_app.config["PUBLIC_BASE_URL"],
        written_on=today_in_brussels())
    return letters.to_pdf(letters.letter_html(facts, lang))


def receipt_facts(declaration: Any) -> dict[str, Any]:
    """The contribution's receipt as of today (shared with the page to print, ``printouts``)."""
    employer = db.session.get(Employer, declaration.employer_id)
    assert employer is not None
    contribution = declaration.contribution
    sums = contributions.payment_sums(db.session, contribution.id)
    payments = [{"booked_on": p.booked_on, "source": p.source, "amount_cents": p.amount_cents}
                for p in contributions.payments_of(db.session, contribution.id)]
    return {"employer_name": employer.company_name, "enterprise_number": employer.enterprise_number,
            "declaration_id": declaration.id,
            "worker_name": f"{declaration.worker_first_name} {declaration.worker_last_name}",
            "contract_end_on": declaration.contract_end_on, "amount_cents": contribution.amount_cents,
            "paid_cents": sums.net_cents,
            "reference": domain.format_structured_reference(contribution.structured_reference),
            "status": contribution.status, "payments": payments, "issued_on": today_in_brussels()}


def receipt_pdf(declaration: Any, lang: str) -> bytes:
    return letters.to_pdf(letters.receipt_html(lang=lang, **receipt_facts(declaration)))


# --- routes -------------------------------------------------------------------------------------


@endpoint(blp, "/dismissals", method="POST", access=(Permission.DISMISSAL_DECLARE,), body=DismissalCreateSchema,
          response=(201, DismissalCreatedSchema),
          refusals={409: "The same worker and contract end date are already declared", 422: "Invalid input, e.g. a wrong NISS or a contract end date "
                   "before 2024-04-01 or in the future", 403: API_REFUSAL}, commits=False)
def declare(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Declare a contract ended for medical force majeure. Creates the €1,800 contribution due 45 days after the
    contract end. Late declarations and contracts ending within 21 days of the physician's decision are accepted
    with `warnings`."""
    employer_id = data.pop("employer_id", None)
    today = today_in_brussels()
    result = declaration_services.declare_dismissal(db.session, current_user, declaration_services.DeclarationData(**data),
                                        employer_id=employer_id, today=today, now=utcnow())
    commit()
    declaration = result.declaration
    rules = rules_on(db.session, declaration.contract_end_on)
    summary = contributions.contribution_summary(declaration.contribution, domain.PaymentSums(), today=today)
    return {"id": declaration.id, "declared_on": declaration.declared_on,
            "declaration_due_on": declaration.declaration_due_on,
            "apply_by_on": domain.apply_by_on(declaration.contract_end_on, rules),
            "contribution": summary, "warnings": [{"code": w.code, "message": w.message} for w in result.warnings]}


@endpoint(blp, "/dismissals", access=(Permission.DISMISSAL_VIEW_OWN,), query=DismissalQuerySchema,
          response=(200, DismissalPageSchema))
def list_dismissals(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The caller's declarations (every employer it acts for), newest first, paged with `next_cursor`.
    `overdue=true` keeps unpaid contributions past their due day."""
    today = today_in_brussels()
    filters = declaration_services.DeclarationFilters(status=query["status"], overdue=query["overdue"],
                                          employer_id=query["employer_id"])
    items, next_cursor = declaration_page(db.session, current_user, filters, today=today, limit=query["limit"],
                                          cursor=query["cursor"])
    # Written as DismissalPageSchema dumps it (presenters.dismissal_json): a Response goes out as it is.
    return jsonify({"items": [dismissal_json(item) for item in items], "next_cursor": next_cursor})


@endpoint(blp, "/dismissals/<int:declaration_id>", access=(Permission.DISMISSAL_VIEW_OWN,),
          response=(200, DismissalSchema), refusals={404: "Not found, or not yours to see"})
def get_dismissal(declaration_id: int):  # type: ignore[no-untyped-def]
    """One declaration with its contribution: amount, paid so far, due day, structured reference, status."""
    declaration = declaration_services.get_declaration(db.session, current_user, declaration_id)
    return contributions.declaration_summary(db.session, declaration, today=today_in_brussels())


@endpoint(blp, "/dismissals/<int:declaration_id>/payment-intent", method="POST",
          access=(Permission.CONTRIBUTION_PAY,), response=(200, PaymentIntentSchema),
          refusals={404: "Not found, or not yours to see", 409: "Already paid, or a payment is being processed", 503: "The payment provider cannot be reached", 403: API_REFUSAL})
def payment_intent(declaration_id: int):  # type: ignore[no-untyped-def]
    """A Stripe PaymentIntent (card or Bancontact, EUR) for what is still owed, created with the idempotency key
    `contribution-<id>`. Its metadata carries ids only. The payment is confirmed by Stripe.js with `client_secret`;
    the webhook records it."""
    try:
        intent = payment_services.start_card_payment(db.session, current_user, declaration_id, gateway_for(current_app),
                                             today=today_in_brussels(), now=utcnow())
    except Conflict:
        commit()  # keep what re-reading the previous PaymentIntent learned (e.g. that it succeeded)
        raise
    return {"payment_intent_id": intent.id, "client_secret": intent.client_secret}


@endpoint(blp, "/dismissals/<int:declaration_id>/letter.pdf", access=(Permission.DISMISSAL_VIEW_OWN,),
          query=LetterQuerySchema, response_description="The letter as a PDF", content_type="application/pdf",
          refusals={404: "Not found, or not yours to see"})
def letter(query: dict[str, Any], declaration_id: int):  # type: ignore[no-untyped-def]
    """The letter that tells the worker about the coaching voucher, in French, Dutch or German (`?lang=`), with the
    last day to apply (contract end + 6 months)."""
    declaration = declaration_services.get_declaration(db.session, current_user, declaration_id)
    lang = _lang(query["lang"], letters.LETTER_LANGUAGES)
    return _pdf(letter_pdf(declaration, lang), f"letter-{declaration.id}-{lang}.pdf")


@endpoint(blp, "/dismissals/<int:declaration_id>/receipt.pdf", access=(Permission.DISMISSAL_VIEW_OWN,),
          query=ReceiptQuerySchema, response_description="The receipt as a PDF", content_type="application/pdf",
          refusals={404: "Not found, or not yours to see"})
def receipt(query: dict[str, Any], declaration_id: int):  # type: ignore[no-untyped-def]
    """The contribution's receipt: amount, payments received and refunded, status (fr, nl, de or en)."""
    declaration = declaration_services.get_declaration(db.session, current_user, declaration_id)
    lang = _lang(query["lang"], letters.RECEIPT_LANGUAGES)
    return _pdf(receipt_pdf(declaration, lang), f"receipt-{declaration.id}.pdf")


@endpoint(blp, "/dismissals/import", method="POST", access=(Permission.DISMISSAL_DECLARE,),
          raw_body=True,  # the CSV is read from the raw body whatever its content type, and checked line by line
          response=(201, ImportResultSchema),
          answers={202: (ImportJobSchema, ("More than 500 lines: the file is read in the background, all or nothing; "
                                          "follow `GET /dismissals/imports/{id}`"))},
          refusals={409: "Declared at the same time by someone else: nothing imported",
                    422: "At least one line is wrong: nothing imported. `error.lines` lists every problem by line",
                    413: "The body is larger than 10 MB (`payload_too_large`): nothing imported",
                    403: API_REFUSAL},
          doc={"requestBody": {"required": True, "content": {"text/csv": {"schema": {
              "type": "string", "description": "Header: worker_first_name;worker_last_name;worker_niss;"
                                               "contract_end_on;physician_decision_on (`;` or `,`)."}}}}},
          commits=False)  # the view commits itself, before it answers a large file's 202
def import_dismissals():  # type: ignore[no-untyped-def]
    """Declare many dismissals from a CSV body (UTF-8). Every line is validated first; all lines are imported, or
    none. `?employer_id=` is needed only by agents acting for several employers. A file of more than 500 lines is
    answered at once (202) and read in the background: `GET /dismissals/imports/{id}` follows it."""
    raw_employer = request.args.get("employer_id")
    employer_id = None if raw_employer is None else id_from_text(raw_employer)
    if raw_employer is not None and employer_id is None:
        raise ValidationFailed("employer_id must be an id.", fields={"employer_id": ["Not a valid id."]})
    if (request.content_length or 0) > MAX_IMPORT_BYTES:
        return too_large_response(MAX_IMPORT_BYTES)
    data = read_at_most(request.stream, MAX_IMPORT_BYTES)
    if len(data) > MAX_IMPORT_BYTES:
        return too_large_response(MAX_IMPORT_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("The file must be UTF-8 text.", code="csv_invalid",
                               fields={"file": ["Save the file as CSV UTF-8."]}) from exc
    if background_imports.is_large(text):
        job = background_imports.start_import(db.session, current_user, text, employer_id=employer_id,
                                              file_name=None, now=utcnow())
        commit()
        return make_response(ImportJobSchema().dump(import_job_payload(job)), 202)  # not the 201 schema
    report = csv_import.import_declarations(db.session, current_user, text,
                                            employer_id=employer_id,
                                            today=today_in_brussels(), now=utcnow())
    if not report.ok:
        db.session.rollback()
        lines = [{"line": e.line, "field": e.field, "message": e.text} for e in report.errors]
        fields_ = {f"line {e.line}": [f"{e.field}: {e.text}"] for e in report.errors}
        return json_error(422, f"{len({e.line for e in report.errors})} line(s) have problems. Nothing was imported.",
                          "csv_invalid", fields_, {"lines": lines})
    commit()
    return {"imported": len(report.imported_ids), "ids": report.imported_ids}



@endpoint(blp, "/webhooks/stripe", method="POST", public=True,
          raw_body=True,  # signed by Stripe; an event may carry another system's data, and only ids of it are kept
          response=(200, WebhookResultSchema),
          refusals={400: "Bad signature, a timestamp more than 300 s away, or a payload that is no JSON object",
                    503: "Not configured, or Stripe could not be reached to re-read the PaymentIntent: Stripe "
                         "retries later"},
          doc={"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}},
          commits=False)  # the view commits the event with its effect, and only then
def stripe_webhook():  # type: ignore[no-untyped-def]
    """Stripe's events. The `Stripe-Signature` is verified on the raw body (its time within 300 s of ours, before
    or after); each event id is stored in the same transaction as its effect, so a replay does nothing; the
    PaymentIntent is re-read so events arriving out of order never move a payment backwards. An event about a
    PaymentIntent Stripe does not know, or that pays no contribution, is acknowledged and ignored."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        return json_error(503, "Stripe webhooks are not configured.", "webhook_not_configured")
    try:
        event = verify_webhook(request.get_data(), request.headers.get("Stripe-Signature", ""), secret,
                               now=time.time())
        event_id, event_type, data_object = payment_services.event_parts(event)
    except WebhookRefused as refused:
        return json_error(400, refused.message, refused.code)
    try:
        processed = payment_services.handle_stripe_event(db.session, gateway_for(current_app), event_id=event_id,
                                                 event_type=event_type, data_object=data_object,
                                                 today=today_in_brussels(), now=utcnow())
    except GatewayError:
        db.session.rollback()
        return json_error(503, "Stripe could not be reached. Please retry.", "gateway_unavailable")
    except DomainError:
        db.session.rollback()
        raise
    commit()
    return {"received": True, "duplicate": not processed}
