"""Public JSON API of the marketplace (API.md, "Public"): no account needed."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_smorest import Blueprint

from coaching.marketplace import domain
from coaching.marketplace.models import CatalogueTheme, ContactPoint
from coaching.marketplace.schemas import (
    MarketplaceProfileSchema,
    MarketplaceProviderPageSchema,
    MarketplaceSearchQuerySchema,
)
from coaching.marketplace.services import search as marketplace
from coaching.marketplace.services.search import ProviderCard
from coaching.providers.domain import offer_cost_cents
from coaching.providers.models import Offer
from portal.api_views import endpoint
from portal.db import db

blp = Blueprint("marketplace_api", __name__, description="The public marketplace of listed providers")


def contact_point_dict(contact_point: ContactPoint | Any) -> dict[str, Any]:
    """From a ContactPoint or a row with its columns."""
    return {"id": contact_point.id, "name": contact_point.name, "street": contact_point.street,
            "postcode": contact_point.postcode, "municipality": contact_point.municipality,
            "region": contact_point.region, "languages": domain.split_codes(contact_point.languages),
            "onsite": contact_point.onsite, "online": contact_point.online}


def offer_dict(offer: Offer | Any) -> dict[str, Any]:
    """From an Offer or a row with its columns."""
    return {"id": offer.id, "name": offer.name, "individual_hours": offer.individual_hours,
            "collective_sessions": offer.collective_sessions, "individual_unit_cents": offer.individual_unit_cents,
            "collective_unit_cents": offer.collective_unit_cents,
            "cost_cents": offer_cost_cents(offer.individual_hours, offer.collective_sessions,
                                           offer.individual_unit_cents, offer.collective_unit_cents)}


def theme_dict(theme: CatalogueTheme) -> dict[str, Any]:
    return {"id": theme.id, "title": theme.title, "description": theme.description, "topic": theme.topic,
            "kind": theme.kind, "language": theme.language}


def card_dict(card: ProviderCard) -> dict[str, Any]:
    return {"id": card.provider.id, "name": card.provider.name,
            "languages": domain.split_codes(card.provider.languages),
            "regions": card.regions, "contact_points": [contact_point_dict(c) for c in card.near],
            "matching_contact_points": card.matching_contact_points, "offers": [offer_dict(o) for o in card.offers]}


@endpoint(blp, "/providers", public=True, public_page=True, query=MarketplaceSearchQuerySchema,
          response=(200, MarketplaceProviderPageSchema),
          refusals={422: "An unknown filter value, a bad cursor or an unknown place"})
def search(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Listed providers, by name, paged with `next_cursor`. Delisted providers never appear.

    `region`/`place`, `language` and `mode` must all hold at one same contact point.
    """
    page = marketplace.search_providers(db.session, **query)
    # The dicts are built field by field after MarketplaceProviderPageSchema, which documents them; returning
    # the JSON directly skips a second, slow marshmallow pass over up to 200 providers (tests check the shape).
    return jsonify({"items": [card_dict(card) for card in page.items], "next_cursor": page.next_cursor})


@endpoint(blp, "/providers/<int:provider_id>", public=True, public_page=True, response=(200, MarketplaceProfileSchema),
          refusals={404: "Unknown or delisted provider"})
def profile(provider_id: int):  # type: ignore[no-untyped-def]
    """A listed provider's profile: offers, contact points, languages, catalogue and outcome figures.

    `outcomes` stays null until enough vouchers have closed for the figures to be fair.
    """
    found = marketplace.provider_profile(db.session, provider_id)
    provider = found.provider
    hidden = None
    if found.outcomes is None:
        hidden = {"code": found.outcomes_hidden_reason,
                  "message": f"Shown once at least {marketplace.MIN_CLOSED_VOUCHERS_FOR_OUTCOMES} vouchers with this "
                             "provider have closed.",
                  "min_closed_vouchers": marketplace.MIN_CLOSED_VOUCHERS_FOR_OUTCOMES}
    outcomes = None
    if found.outcomes is not None:
        outcomes = {"vouchers_completed": found.outcomes.vouchers_completed,
                    "closed_vouchers": found.outcomes.closed_vouchers,
                    "finished_percent": found.outcomes.finished_percent}
    return {"id": provider.id, "name": provider.name, "description": provider.description,
            "quality_label": provider.quality_label, "label_valid_until_on": provider.label_valid_until_on,
            "languages": found.languages, "regions": found.regions, "offers": [offer_dict(o) for o in found.offers],
            "contact_points": [contact_point_dict(c) for c in found.contact_points],
            "catalogue": [theme_dict(t) for t in found.catalogue], "outcomes": outcomes, "outcomes_hidden": hidden}
