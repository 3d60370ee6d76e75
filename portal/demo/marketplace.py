"""Demo data for the marketplace: contact points, catalogue themes and an offer for each demo provider.

Seeded (the same on every run) and idempotent: a provider that already has contact points,
themes or offers keeps them. Call it from ``seed_demo`` with the demo providers.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from coaching.marketplace.domain import (
    REGION_CODES,
    join_languages,
    municipality_key,
    region_for_postcode,
    split_codes,
)
from coaching.marketplace.models import CatalogueTheme, ContactPoint
from coaching.providers.domain import STANDARD_MIXES
from coaching.providers.models import Offer, Provider

# Real Belgian postcodes and municipalities, a few in every region or province.
MUNICIPALITIES: tuple[tuple[str, str], ...] = (
    ("1000", "Bruxelles"), ("1050", "Ixelles"), ("1080", "Molenbeek-Saint-Jean"), ("1200", "Woluwe-Saint-Lambert"),
    ("1300", "Wavre"), ("1348", "Louvain-la-Neuve"), ("1400", "Nivelles"),
    ("1800", "Vilvoorde"), ("3000", "Leuven"), ("1500", "Halle"),
    ("2000", "Antwerpen"), ("2800", "Mechelen"), ("2300", "Turnhout"),
    ("3500", "Hasselt"), ("3600", "Genk"), ("3700", "Tongeren"),
    ("4000", "Liège"), ("4800", "Verviers"), ("4500", "Huy"), ("4700", "Eupen"), ("4780", "Sankt Vith"),
    ("5000", "Namur"), ("5500", "Dinant"), ("5300", "Andenne"),
    ("6000", "Charleroi"), ("7000", "Mons"), ("7500", "Tournai"), ("7100", "La Louvière"),
    ("6700", "Arlon"), ("6900", "Marche-en-Famenne"), ("6800", "Libramont-Chevigny"),
    ("8000", "Brugge"), ("8500", "Kortrijk"), ("8400", "Oostende"),
    ("9000", "Gent"), ("9300", "Aalst"), ("9100", "Sint-Niklaas"),
)


# (title, topic, kind) per language: the DOMAIN.md catalogue of action sessions.
THEMES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "fr": (("Rédiger son CV et sa lettre", "job_search", "collective"),
           ("Se préparer à l'entretien d'embauche", "job_search", "individual"),
           ("Mieux se connaître : forces et valeurs", "self_knowledge", "individual"),
           ("Gérer son énergie et son stress", "well_being", "collective")),
    "nl": (("Je cv en sollicitatiebrief", "job_search", "collective"),
           ("Sollicitatiegesprek oefenen", "job_search", "individual"),
           ("Zelfkennis: talenten en waarden", "self_knowledge", "individual"),
           ("Omgaan met stress en energie", "well_being", "collective")),
    "de": (("Lebenslauf und Bewerbung", "job_search", "collective"),
           ("Stärken und Werte erkennen", "self_knowledge", "individual"),
           ("Stress und Wohlbefinden", "well_being", "collective")),
    "en": (("Digital skills for job hunting", "skills", "collective"),
           ("Your strengths and values", "self_knowledge", "individual")),
}


STREETS = {
    "fr": ("Rue de la Station", "Rue Haute", "Avenue de la Gare", "Place du Marché", "Rue de l'Église",
           "Boulevard Tirou", "Rue des Fripiers"),
    "nl": ("Stationsstraat", "Kerkstraat", "Grote Markt", "Nieuwstraat", "Molenstraat", "Dorpsstraat"),
    "de": ("Bahnhofstraße", "Kirchstraße", "Marktplatz", "Hauptstraße"),
}


DESCRIPTIONS = {
    "fr": "Une séance concrète, avec des exercices et un suivi personnalisé.",
    "nl": "Een concrete sessie met oefeningen en persoonlijke opvolging.",
    "de": "Eine praktische Sitzung mit Übungen und persönlicher Begleitung.",
    "en": "A practical session with exercises and personal follow-up.",
}


DEFAULT_UNIT_CENTS = 15000  # DOMAIN.md: €150 per individual hour and per collective session


def _places_for(provider: Provider, rng: random.Random) -> list[tuple[str, str]]:
    """Two or three places in each of the provider's regions, and one more region if it has only one."""
    regions = [code for code in split_codes(provider.regions) if code in REGION_CODES] or ["brussels"]
    if len(regions) == 1:
        regions.append("brussels" if regions[0] != "brussels" else "flemish_brabant")
    chosen: list[tuple[str, str]] = []
    for region in regions:
        local = [m for m in MUNICIPALITIES if region_for_postcode(m[0]) == region]
        chosen += rng.sample(local, k=min(len(local), rng.choice((2, 3))))
    return chosen


def _street(postcode: str, rng: random.Random) -> str:
    number = int(postcode)
    if 4700 <= number <= 4791:
        names = STREETS["de"]
    elif region_for_postcode(postcode) in ("flemish_brabant", "antwerp", "limburg", "west_flanders", "east_flanders"):
        names = STREETS["nl"]
    else:
        names = STREETS["fr"]
    return f"{rng.choice(names)} {rng.randint(1, 180)}"


def seed_marketplace(session: Session, providers: Sequence[Provider]) -> None:
    """Contact points in several regions, a few catalogue themes and one active offer for each provider."""
    rng = random.Random(2025)
    for index, provider in enumerate(providers):
        languages = split_codes(provider.languages) or ["fr"]
        if not session.scalar(select(exists().where(ContactPoint.provider_id == provider.id))):
            for number, (postcode, town) in enumerate(_places_for(provider, rng)):
                local_languages = ["de"] if 4700 <= int(postcode) <= 4791 and "de" in languages else languages
                session.add(ContactPoint(
                    provider_id=provider.id, name=f"{provider.name} – {town}", street=_street(postcode, rng),
                    postcode=postcode, municipality=town, municipality_key=municipality_key(town),
                    region=region_for_postcode(postcode), languages=join_languages(local_languages),
                    onsite=True, online=number == 0))
        if not session.scalar(select(exists().where(CatalogueTheme.provider_id == provider.id))):
            pool = [(title, topic, kind, code) for code in languages for title, topic, kind in THEMES.get(code, ())]
            for title, topic, kind, code in rng.sample(pool, k=min(len(pool), 3)):
                session.add(CatalogueTheme(provider_id=provider.id, title=title, topic=topic, kind=kind, language=code,
                                           description=DESCRIPTIONS[code]))
        if not session.scalar(select(exists().where(Offer.provider_id == provider.id))):
            mix = STANDARD_MIXES[(index + 2) % len(STANDARD_MIXES)]  # the first provider gets 9 h + 3 sessions
            session.add(Offer(provider_id=provider.id,
                              name=f"{mix.individual_hours} h + {mix.collective_sessions} × 3,5 h",
                              individual_hours=mix.individual_hours, collective_sessions=mix.collective_sessions,
                              individual_unit_cents=DEFAULT_UNIT_CENTS, collective_unit_cents=DEFAULT_UNIT_CENTS))
        session.flush()
        regions = sorted(set(session.scalars(select(ContactPoint.region)
                                             .where(ContactPoint.provider_id == provider.id))), key=REGION_CODES.index)
        provider.regions = ",".join(regions) or provider.regions
    session.flush()
