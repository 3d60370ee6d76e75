"""JSON API of the fund's administration (API.md): providers, payout batches, the fund's position, audit."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, url_for
from flask_login import current_user
from flask_smorest import Blueprint
from portal.permissions import api_access

from coaching import admin_services
from coaching.admin_services import ProviderListing
from coaching.models import Provider
from portal.auth.emails import queue_password_reset
from portal.auth.schemas import ApiErrorSchema
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.fund_account import fund_account_settings
from portal.mail import commit
from portal.pagination import decode_id_cursor, encode_cursor
from portal.permissions import Permission
from vouchers import ledger, payouts
from vouchers.fund_admin_schemas import (
    AuditPageSchema,
    AuditQuerySchema,
    DelistSchema,
    FundPositionSchema,
    ListQuerySchema,
    PayoutBatchListSchema,
    PayoutBatchSchema,
    ProviderCreateSchema,
    ProviderListSchema,
    ProviderSchema,
)

blp = Blueprint("fund_admin_api", __name__, description="The fund's administration: providers, payouts, audit")
BEARER = [{"bearerAuth": []}]



def provider_payload(provider: Provider, admin_user_id: int | None = None) -> dict[str, Any]:
    return {"id": provider.id, "name": provider.name, "enterprise_number": provider.enterprise_number,
            "quality_label": provider.quality_label, "label_valid_until_on": provider.label_valid_until_on,
            "iban": provider.iban, "regions": [c for c in provider.regions.split(",") if c],
            "languages": [c for c in provider.languages.split(",") if c], "listed_at": provider.listed_at,
            "delisted_at": provider.delisted_at, "admin_user_id": admin_user_id}


def batch_payload(batch: payouts.PayoutBatch) -> dict[str, Any]:
    return {"id": batch.id, "status": batch.status, "total_cents": batch.total_cents,
            "claim_count": batch.claim_count, "message_id": batch.message_id, "execution_on": batch.execution_on,
            "paid_on": batch.paid_on, "created_at": batch.created_at,
            "download_url": url_for("fund_admin_api.download_payout_file", batch_id=batch.id)}


@blp.route("/admin/providers", methods=["GET"])
@api_access(Permission.ADMIN_PROVIDERS_MANAGE)
@blp.response(200, ProviderListSchema)
@blp.doc(security=BEARER)
def list_providers():  # type: ignore[no-untyped-def]
    """Every provider, listed ones first (delisted ones stay as history)."""
    providers = admin_services.providers_for_fund(db.session, current_user)
    return {"items": [provider_payload(p) for p in providers], "next_cursor": None}


@blp.route("/admin/providers", methods=["POST"])
@api_access(Permission.ADMIN_PROVIDERS_MANAGE)
@blp.arguments(ProviderCreateSchema)
@blp.response(201, ProviderSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="The enterprise or the admin's e-mail is already known")
@blp.alt_response(422, schema=ApiErrorSchema, description="E.g. a wrong enterprise number or IBAN, an unknown label")
@blp.doc(security=BEARER)
def create_provider(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """List a provider; its first administrator's account is created and invited by e-mail."""
    provider, user = admin_services.list_provider(db.session, current_user, ProviderListing(**data),
                                                  today=today_in_brussels(), now=utcnow())
    queue_password_reset(db.session, user)  # the invitation: its link sets the password and confirms the address
    commit()
    return provider_payload(provider, user.id)


@blp.route("/admin/providers/<int:provider_id>/delist", methods=["POST"])
@api_access(Permission.ADMIN_PROVIDERS_MANAGE)
@blp.arguments(DelistSchema)
@blp.response(200, ProviderSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="Already delisted")
@blp.doc(security=BEARER)
def delist_provider(data: dict[str, Any], provider_id: int):  # type: ignore[no-untyped-def]
    """Delist a provider: beneficiaries no longer see it; its history stays."""
    provider = admin_services.delist_provider(db.session, current_user, provider_id, now=utcnow(),
                                              reason=data.get("reason"))
    commit()
    return provider_payload(provider)


@blp.route("/admin/payout-batches", methods=["POST"])
@api_access(Permission.ADMIN_PAYOUTS_MANAGE)
@blp.response(201, PayoutBatchSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="No approved claim waits, or a provider's IBAN is invalid")
@blp.doc(security=BEARER)
def create_payout_batch():  # type: ignore[no-untyped-def]
    """Bundle every approved claim not yet in a batch into one SEPA credit-transfer file (pain.001.001.03)."""
    settings = fund_account_settings(current_app.config)
    batch = payouts.create_payout_batch(
        db.session, current_user, today=today_in_brussels(), now=utcnow(), debtor_iban=settings["FUND_IBAN"],
        debtor_name=settings["FUND_NAME"], debtor_bic=settings["FUND_BIC"], xsd_path=settings["PAIN001_XSD_PATH"])
    commit()
    return batch_payload(batch)


@blp.route("/admin/payout-batches", methods=["GET"])
@api_access(Permission.ADMIN_PAYOUTS_MANAGE)
@blp.arguments(ListQuerySchema, location="query")
@blp.response(200, PayoutBatchListSchema)
@blp.doc(security=BEARER)
def list_payout_batches(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Payout batches, newest first."""
    rows = payouts.list_batches(db.session, current_user, limit=query["limit"] + 1,
                                before_id=decode_id_cursor(query["cursor"]))
    next_cursor = encode_cursor([rows[query["limit"] - 1].id]) if len(rows) > query["limit"] else None
    return {"items": [batch_payload(b) for b in rows[: query["limit"]]], "next_cursor": next_cursor}


@blp.route("/admin/payout-batches/<int:batch_id>", methods=["GET"])
@api_access(Permission.ADMIN_PAYOUTS_MANAGE)
@blp.response(200, PayoutBatchSchema)
@blp.doc(security=BEARER)
def get_payout_batch(batch_id: int):  # type: ignore[no-untyped-def]
    """One payout batch."""
    return batch_payload(payouts.get_batch(db.session, current_user, batch_id))


@blp.route("/admin/payout-batches/<int:batch_id>/pain.001.xml", methods=["GET"])
@api_access(Permission.ADMIN_PAYOUTS_MANAGE)
@blp.doc(security=BEARER, responses={
    "200": {"description": "The pain.001.001.03 file", "content": {"application/xml": {"schema": {"type": "string"}}}},
    "404": {"description": "No such batch, or a batch without transfers (only zero claims)"}})
def download_payout_file(batch_id: int):  # type: ignore[no-untyped-def]
    """The batch's SEPA credit-transfer file, as generated (to upload to the fund's bank)."""
    batch = payouts.get_batch(db.session, current_user, batch_id)
    if not batch.xml:
        abort(404)
    return Response(batch.xml, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{batch.message_id}.xml"', "Cache-Control": "no-store"})


@blp.route("/admin/payout-batches/<int:batch_id>/mark-paid", methods=["POST"])
@api_access(Permission.ADMIN_PAYOUTS_MANAGE)
@blp.response(200, PayoutBatchSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="Already marked as paid")
@blp.doc(security=BEARER)
def mark_payout_batch_paid(batch_id: int):  # type: ignore[no-untyped-def]
    """The bank executed the file: its claims become paid and the money leaves the ledger, once."""
    batch = payouts.mark_batch_paid(db.session, current_user, batch_id, today=today_in_brussels(), now=utcnow())
    commit()
    return batch_payload(batch)


@blp.route("/admin/fund-position", methods=["GET"])
@api_access(Permission.ADMIN_REPORTS_VIEW)
@blp.response(200, FundPositionSchema)
@blp.doc(security=BEARER)
def fund_position():  # type: ignore[no-untyped-def]
    """The fund's balance as sums over the ledger: cash, committed, payable and what is available."""
    today = today_in_brussels()
    position = ledger.fund_position(db.session, on=today)
    return {"cash_cents": position.cash_cents, "committed_cents": position.committed_cents,
            "payable_cents": position.payable_cents, "available_cents": position.available_cents, "on": today}


@blp.route("/admin/audit", methods=["GET"])
@api_access(Permission.ADMIN_AUDIT_VIEW)
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
@blp.doc(security=BEARER)
def audit_log(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The audit log, newest first, filtered by object (`object_type`, `object_id`) and person (`actor_id`)."""
    rows = admin_services.audit_trail(db.session, current_user, object_type=query["object_type"],
                                      object_id=query["object_id"], actor_id=query["actor_id"],
                                      limit=query["limit"] + 1, before_id=decode_id_cursor(query["cursor"]))
    next_cursor = encode_cursor([rows[query["limit"] - 1].id]) if len(rows) > query["limit"] else None
    return {"items": rows[: query["limit"]], "next_cursor": next_cursor}
