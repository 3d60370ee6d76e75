"""JSON API of refunds of overpaid contributions to the employer's IBAN: one fund administrator proposes, another
approves (which makes the pain.001 file), the bank pays it (the fund's statement, a pain.002 report, or a person
marking it paid)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, url_for
from flask_login import current_user
from flask_smorest import Blueprint

from portal.api_views import endpoint
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.fund_account import fund_account_settings
from portal.pagination import decode_id_cursor, id_page
from portal.permissions import Permission
from vouchers.banking.payout_models import ContributionRefund
from vouchers.banking.payout_schemas import (
    RefundListQuerySchema,
    RefundListSchema,
    RefundProposalSchema,
    RefundSchema,
    RefusalSchema,
)
from vouchers.banking.services import refunds
from vouchers.banking.transfer_api import transfer_payload

blp = Blueprint("refunds_api", __name__,
                description="Refunds of overpaid contributions, by transfer to the employer (four eyes)")


def refund_payload(refund: ContributionRefund) -> dict[str, Any]:
    context = refunds.refund_context(db.session, refund)
    transfer = context["transfer"]
    return {"id": refund.id, "contribution_id": refund.contribution_id, "declaration_id": context["declaration"].id,
            "employer_id": context["employer"].id, "employer_name": context["employer"].company_name,
            "amount_cents": refund.amount_cents, "iban": refund.iban, "account_name": refund.account_name,
            "reason": refund.reason, "status": refund.status, "proposed_by": refund.proposed_by,
            "proposed_at": refund.proposed_at, "decided_by": refund.decided_by, "decided_at": refund.decided_at,
            "decision_reason": refund.decision_reason, "message_id": refund.message_id,
            "execution_on": refund.execution_on,
            "transfer": transfer_payload(transfer) if transfer is not None else None,
            "download_url": url_for("refunds_api.download_refund_file", refund_id=refund.id) if refund.xml else None}


@endpoint(blp, "/admin/contribution-refunds", method="POST", access=(Permission.ADMIN_PAYOUTS_MANAGE,),
          body=RefundProposalSchema, response=(201, RefundSchema),
          refusals={409: "Nothing to refund (`nothing_to_refund`), a refund of it "
                   "already waits (`refund_open`), or the employer's IBAN is "
                   "not valid (`employer_iban_invalid`)", 422: "No reason, no such contribution, or an amount above what "
                   "it was paid too much (`refundable_cents` says how much)"})
def propose_refund(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Propose to refund what a contribution received beyond its amount (all of it by default) to its employer's
    IBAN, with a reason. The other fund administrators are told: another one must approve it."""
    refund = refunds.propose_refund(db.session, current_user, data["contribution_id"],
                                    amount_cents=data["amount_cents"], reason=data["reason"], now=utcnow())
    return refund_payload(refund)


@endpoint(blp, "/admin/contribution-refunds", access=(Permission.ADMIN_PAYOUTS_MANAGE,), query=RefundListQuerySchema,
          response=(200, RefundListSchema))
def list_refunds(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Refunds, newest first, filtered by `status` (`proposed` are those waiting for a second administrator)."""
    rows = refunds.list_refunds(db.session, current_user, status=query["status"], limit=query["limit"] + 1,
                                before_id=decode_id_cursor(query["cursor"]))
    page, next_cursor = id_page(rows, query["limit"])
    return {"items": [refund_payload(r) for r in page], "next_cursor": next_cursor}


@endpoint(blp, "/admin/contribution-refunds/<int:refund_id>", access=(Permission.ADMIN_PAYOUTS_MANAGE,),
          response=(200, RefundSchema), refusals={404: "No such refund"})
def get_refund(refund_id: int):  # type: ignore[no-untyped-def]
    """One refund, with its transfer once approved."""
    return refund_payload(refunds.get_refund(db.session, current_user, refund_id))


@endpoint(blp, "/admin/contribution-refunds/<int:refund_id>/approve", method="POST",
          access=(Permission.ADMIN_PAYOUTS_MANAGE,), response=(200, RefundSchema),
          refusals={403: "The caller proposed this refund (`four_eyes`)", 404: "No such refund", 409: "Already decided (`illegal_transition`), or the contribution "
                   "no longer holds that much too much "
                   "(`refund_exceeds_overpayment`)", 422: "The fund's own account is not configured correctly"})
def approve_refund(refund_id: int):  # type: ignore[no-untyped-def]
    """Approve a proposed refund (not the administrator who proposed it): its pain.001 file is made (download it at
    `download_url`, upload it to the fund's bank) and the employer is told. The contribution gives the money back
    once the bank has paid it."""
    settings = fund_account_settings(current_app.config)
    refund = refunds.approve_refund(db.session, current_user, refund_id, today=today_in_brussels(), now=utcnow(),
                                    debtor_iban=settings["FUND_IBAN"], debtor_name=settings["FUND_NAME"],
                                    debtor_bic=settings["FUND_BIC"], xsd_path=settings["PAIN001_XSD_PATH"])
    return refund_payload(refund)


@endpoint(blp, "/admin/contribution-refunds/<int:refund_id>/refuse", method="POST",
          access=(Permission.ADMIN_PAYOUTS_MANAGE,), body=RefusalSchema, response=(200, RefundSchema),
          refusals={404: "No such refund", 409: "Already decided (`illegal_transition`)"})
def refuse_refund(data: dict[str, Any], refund_id: int):  # type: ignore[no-untyped-def]
    """Refuse a proposed refund with a reason (its proposer may withdraw it this way)."""
    refund = refunds.refuse_refund(db.session, current_user, refund_id, reason=data["reason"], now=utcnow())
    return refund_payload(refund)


@endpoint(blp, "/admin/contribution-refunds/<int:refund_id>/mark-paid", method="POST",
          access=(Permission.ADMIN_PAYOUTS_MANAGE,), response=(200, RefundSchema),
          refusals={404: "No such refund", 409: "Not approved, or already paid or returned "
                   "(`illegal_transition`)"})
def mark_refund_paid(refund_id: int):  # type: ignore[no-untyped-def]
    """The bank executed the refund's file (when neither the fund's statement nor a status report said so): the
    contribution gives the money back and the ledger follows, once."""
    refund = refunds.mark_refund_paid(db.session, current_user, refund_id, today=today_in_brussels(), now=utcnow())
    return refund_payload(refund)


@endpoint(blp, "/admin/contribution-refunds/<int:refund_id>/pain.001.xml", access=(Permission.ADMIN_PAYOUTS_MANAGE,),
          response=None, doc={"responses": {
              "200": {"description": "The pain.001.001.03 file",
                      "content": {"application/xml": {"schema": {"type": "string"}}}},
              "404": {"description": "No such refund, or one not approved (it has no file)"}}})
def download_refund_file(refund_id: int):  # type: ignore[no-untyped-def]
    """The refund's SEPA credit-transfer file, as made at approval (to upload to the fund's bank)."""
    refund = refunds.get_refund(db.session, current_user, refund_id)
    if not refund.xml:
        abort(404)
    return Response(refund.xml, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{refund.message_id}.xml"', "Cache-Control": "no-store"})
