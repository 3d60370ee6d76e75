from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from coaching.providers.domain import _is_int

# (first postcode, last postcode, region code); also used as search filters.
POSTCODE_RANGES: Final[tuple[tuple[int, int, str], ...]] = (
    (1000, 1299, "brussels"),
    (1300, 1499, "walloon_brabant"),
    (1500, 1999, "flemish_brabant"),
    (2000, 2999, "antwerp"),
    (3000, 3499, "flemish_brabant"),
    (3500, 3999, "limburg"),
    (4000, 4999, "liege"),
    (5000, 5999, "namur"),
    (6000, 6599, "hainaut"),
    (6600, 6999, "luxembourg"),
    (7000, 7999, "hainaut"),
    (8000, 8999, "west_flanders"),
    (9000, 9999, "east_flanders"),
)


REGION_NAMES: Final[Mapping[str, str]] = MappingProxyType({
    "brussels": "Brussels-Capital", "walloon_brabant": "Walloon Brabant", "flemish_brabant": "Flemish Brabant",
    "antwerp": "Antwerp", "limburg": "Limburg", "liege": "Liège", "namur": "Namur", "hainaut": "Hainaut",
    "luxembourg": "Luxembourg", "west_flanders": "West Flanders", "east_flanders": "East Flanders",
})  # fmt: skip


REGION_CODES: Final[tuple[str, ...]] = tuple(REGION_NAMES)


# Language suggested by each region: FR in Wallonia, NL in Flanders, both in Brussels.
REGION_LANGUAGES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {code: ("fr",) for code in ("walloon_brabant", "liege", "namur", "hainaut", "luxembourg")}
    | {code: ("nl",) for code in ("flemish_brabant", "antwerp", "limburg", "west_flanders", "east_flanders")}
    | {"brussels": ("fr", "nl")}
)


GERMAN_POSTCODES: Final = (4700, 4791)  # the German-speaking municipalities (in Liège province)


def _postcode_number(postcode: str | int) -> int | None:
    """A Belgian postcode is exactly four digits, 1000-9999; anything else is None."""
    if _is_int(postcode):
        number = postcode
    elif isinstance(postcode, str) and len(s := postcode.strip()) == 4 and s.isascii() and s.isdigit():
        number = int(s)
    else:
        return None
    return number if 1000 <= number <= 9999 else None


def region_for_postcode(postcode: str | int) -> str | None:
    """Region/province code for a Belgian postcode, or None if it is not one."""
    number = _postcode_number(postcode)
    if number is None:
        return None
    for low, high, code in POSTCODE_RANGES:
        if low <= number <= high:
            return code
    return None


def suggested_languages(postcode: str | int) -> tuple[str, ...]:
    """Page languages the place suggests, best first; the person's own choice
    always wins. Empty when the postcode is not Belgian."""
    number = _postcode_number(postcode)
    if number is None:
        return ()
    if GERMAN_POSTCODES[0] <= number <= GERMAN_POSTCODES[1]:
        return ("de",)
    region = region_for_postcode(number)
    return REGION_LANGUAGES[region] if region else ()


def split_codes(text: str | None) -> list[str]:
    return [code for code in (text or "").split(",") if code]


def join_languages(codes: list[str] | tuple[str, ...]) -> str:
    """Known codes only, once each, in a fixed order, so ``contains`` matches reliably."""
    return ",".join(code for code in LANGUAGE_CODES if code in set(codes))


def municipality_key(name: str) -> str:
    """"Liège", "LIEGE" and " liege " give the same key; hyphens and apostrophes count as spaces."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    for mark in "-'’.":
        plain = plain.replace(mark, " ")
    return " ".join(plain.split())


LANGUAGE_CODES: Final = ("fr", "nl", "de", "en")


MODES: Final = ("onsite", "online")


THEME_KINDS: Final = ("individual", "collective")


# Broad topics of the catalogue (DOMAIN.md: job search, self-knowledge, well-being), used as the search filter;
# each theme also has its provider's own title and description.
THEME_TOPICS: Final = ("job_search", "self_knowledge", "well_being", "skills", "other")
