"""JSON API of the fund's administration (API.md): providers, payout batches, the fund's position, audit."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_login import current_user
from flask_smorest import Blueprint

from coaching.providers.models import Coach, Provider
from coaching.providers.presenters import provider_voucher_page
from coaching.providers.schemas import (
    AcceptSchema,
    CoachCreateSchema,
    CoachListSchema,
    CoachSchema,
    DelistSchema,
    OfferCreateSchema,
    OfferListSchema,
    OfferSchema,
    ProviderCreateSchema,
    ProviderListSchema,
    ProviderSchema,
    ProviderSearchSchema,
    ProviderUpdateSchema,
    ProviderVoucherListSchema,
    ProviderVoucherQuerySchema,
)
from coaching.providers.services import listing
from coaching.providers.services import offers as offer_services
from coaching.providers.services.listing import ProviderListing
from portal.api_views import endpoint
from portal.auth.emails import queue_password_reset
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.pagination import decode_id_cursor, encode_cursor
from portal.permissions import Permission
from portal.schema_fields import ListQuerySchema
from vouchers.requests.presenters import voucher_dict
from vouchers.requests.schemas import VoucherSchema
from vouchers.requests.services.vouchers import accept_provider_change
from vouchers.search import read_search

blp = Blueprint("providers_api", __name__, description="Providers: the fund's list, and each provider's offers, coaches and vouchers")

def provider_payload(provider: Provider, admin_user_id: int | None = None) -> dict[str, Any]:
    return {"id": provider.id, "name": provider.name, "enterprise_number": provider.enterprise_number,
            "quality_label": provider.quality_label, "label_valid_until_on": provider.label_valid_until_on,
            "iban": provider.iban, "regions": [c for c in provider.regions.split(",") if c],
            "languages": [c for c in provider.languages.split(",") if c], "listed_at": provider.listed_at,
            "delisted_at": provider.delisted_at, "admin_user_id": admin_user_id}


@endpoint(blp, "/admin/providers", access=(Permission.ADMIN_PROVIDERS_MANAGE,), query=ProviderSearchSchema,
          response=(200, ProviderListSchema))
def list_providers(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Every provider, listed ones first (delisted ones stay as history); with `q`, those it finds."""
    providers = listing.providers_for_fund(db.session, current_user, read_search(query["q"]))
    return {"items": [provider_payload(p) for p in providers], "next_cursor": None}


@endpoint(blp, "/admin/providers", method="POST", access=(Permission.ADMIN_PROVIDERS_MANAGE,),
          body=ProviderCreateSchema, response=(201, ProviderSchema),
          refusals={409: "The enterprise or the admin's e-mail is already known", 422: "E.g. a wrong enterprise number or IBAN, an unknown label"})
def create_provider(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """List a provider; its first administrator's account is created and invited by e-mail."""
    provider, user = listing.list_provider(db.session, current_user, ProviderListing(**data),
                                                  today=today_in_brussels(), now=utcnow())
    queue_password_reset(db.session, user)  # the invitation: its link sets the password and confirms the address
    return provider_payload(provider, user.id)


@endpoint(blp, "/admin/providers/<int:provider_id>/delist", method="POST",
          access=(Permission.ADMIN_PROVIDERS_MANAGE,), body=DelistSchema, response=(200, ProviderSchema),
          refusals={409: "Already delisted"})
def delist_provider(data: dict[str, Any], provider_id: int):  # type: ignore[no-untyped-def]
    """Delist a provider: beneficiaries no longer see it; its history stays."""
    provider = listing.delist_provider(db.session, current_user, provider_id, now=utcnow(),
                                              reason=data.get("reason"))
    return provider_payload(provider)






def _paged(rows: list[Any], query: dict[str, Any]) -> tuple[list[Any], str | None]:
    """A short list (a provider has a handful of offers and coaches) paged by id, as every API list is."""
    after = decode_id_cursor(query["cursor"])
    rows = [row for row in sorted(rows, key=lambda row: row.id) if after is None or row.id > after]
    page = rows[: query["limit"]]
    return page, encode_cursor([page[-1].id]) if len(rows) > query["limit"] else None


@endpoint(blp, "/provider/offers", access=(Permission.PROVIDER_VOUCHERS_VIEW,), query=ListQuerySchema,
          response=(200, OfferListSchema))
def list_offers(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The provider's offers, oldest first, paged with `next_cursor`."""
    items, next_cursor = _paged(offer_services.provider_offers(db.session, current_user), query)
    return {"items": items, "next_cursor": next_cursor}


@endpoint(blp, "/provider/offers", method="POST", access=(Permission.PROVIDER_OFFERS_MANAGE,), body=OfferCreateSchema,
          response=(201, OfferSchema), refusals={422: "Beyond 12 individual hours, or costs more than the voucher"})
def create_offer(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """A mix of individual hours and 3.5-hour collective sessions, validated against the fund's settings."""
    offer = offer_services.create_offer(db.session, current_user, today=today_in_brussels(), **data)
    return offer


@endpoint(blp, "/provider/offers/<int:offer_id>/deactivate", method="POST",
          access=(Permission.PROVIDER_OFFERS_MANAGE,), response=(200, OfferSchema))
def deactivate_offer(offer_id: int):  # type: ignore[no-untyped-def]
    """Deactivate an offer: no new voucher can be accepted (or re-planned) with it; vouchers already
    planned with it keep their mix. Deactivating an inactive offer changes nothing."""
    offer = offer_services.set_offer_active(db.session, current_user, offer_id, False, now=utcnow())
    return offer


@endpoint(blp, "/provider/offers/<int:offer_id>/reactivate", method="POST",
          access=(Permission.PROVIDER_OFFERS_MANAGE,), response=(200, OfferSchema))
def reactivate_offer(offer_id: int):  # type: ignore[no-untyped-def]
    """Make a deactivated offer available again for new vouchers."""
    offer = offer_services.set_offer_active(db.session, current_user, offer_id, True, now=utcnow())
    return offer


@endpoint(blp, "/admin/providers/<int:provider_id>", method="PATCH", access=(Permission.ADMIN_PROVIDERS_MANAGE,),
          body=ProviderUpdateSchema, response=(200, ProviderSchema),
          refusals={422: "E.g. a wrong IBAN, an unknown label or region"})
def update_provider(data: dict[str, Any], provider_id: int):  # type: ignore[no-untyped-def]
    """Change a provider's quality label and its validity (e.g. renewed), IBAN, regions or languages."""
    provider = listing.update_provider(db.session, current_user, provider_id, data, now=utcnow())
    return provider_payload(provider)


@endpoint(blp, "/provider/coaches", access=(Permission.SESSION_SCHEDULE,), query=ListQuerySchema,
          response=(200, CoachListSchema))
def list_coaches(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The provider's active coaches with their calendar feed, paged with `next_cursor`; a coach sees only
    themselves."""
    coaches = offer_services.provider_coaches(db.session, current_user)
    if current_user.role == "coach":
        coaches = [coach for coach in coaches if coach.user_id == current_user.id]
    page, next_cursor = _paged(coaches, query)
    return {"items": [_coach_payload(coach) for coach in page], "next_cursor": next_cursor}


@endpoint(blp, "/provider/coaches", method="POST", access=(Permission.PROVIDER_COACHES_MANAGE,),
          body=CoachCreateSchema, response=(201, CoachSchema), refusals={409: "The e-mail already has an account"})
def add_coach(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Add a coach: the account is created and an invitation e-mail lets them choose a password."""
    coach, user = offer_services.add_coach(db.session, current_user, **data)
    queue_password_reset(db.session, user)
    return _coach_payload(coach)


def _coach_payload(coach: Coach) -> dict[str, Any]:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {"id": coach.id, "user_id": coach.user_id, "display_name": coach.display_name, "email": coach.email,
            "timezone": coach.timezone,
            "calendar_url": f"{base}/api/v1/coaches/{coach.id}/calendar.ics?token={coach.calendar_token}"}


@endpoint(blp, "/provider/vouchers", access=(Permission.PROVIDER_VOUCHERS_VIEW,), query=ProviderVoucherQuerySchema,
          response=(200, ProviderVoucherListSchema), refusals={422: "An unknown status or a bad cursor"})
def provider_vouchers(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The vouchers assigned to this provider, and those waiting for it to accept a change of provider, newest
    first, paged with `next_cursor`."""
    rows, next_cursor = provider_voucher_page(db.session, current_user, status=query["status"], limit=query["limit"],
                                              cursor=query["cursor"])
    return {"items": rows, "next_cursor": next_cursor}


@endpoint(blp, "/provider/vouchers/<int:voucher_id>/accept", method="POST",
          access=(Permission.PROVIDER_VOUCHERS_ACCEPT,), body=AcceptSchema, response=(200, VoucherSchema))
def accept_voucher(data: dict[str, Any], voucher_id: int):  # type: ignore[no-untyped-def]
    """Accept the voucher and fix its mix with one of the provider's offers (at the first interview).

    Also accepts a change of provider made by the beneficiary. Calling it again re-plans the mix;
    what was delivered is never un-spent.
    """
    now = utcnow()
    from vouchers.requests.models import Voucher

    voucher = db.session.get(Voucher, voucher_id)
    if voucher is not None and voucher.pending_provider_id == current_user.provider_id:
        accept_provider_change(db.session, current_user, voucher_id, now=now)
    voucher = offer_services.accept_voucher(db.session, current_user, voucher_id, data["offer_id"], now=now)
    return voucher_dict(db.session, voucher)
