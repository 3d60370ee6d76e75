"""The compiled catalogs (.mo, committed) match their sources (.po), and nothing is left untranslated."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "portal" / "translations"


@pytest.mark.parametrize("lang", ["fr", "nl", "de"])
def test_compiled_catalog_matches_its_source(lang):
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as po_file:
        source = read_po(po_file)
    with open(folder / "messages.mo", "rb") as mo_file:
        compiled = read_mo(mo_file)
    def key(value):  # plural entries are lists of forms
        return tuple(value) if isinstance(value, list | tuple) else value

    wanted = {key(m.id): key(m.string) for m in source if m.id and m.string and not m.fuzzy}
    got = {key(m.id): key(m.string) for m in compiled if m.id}
    assert got == wanted, "run: pybabel compile -d portal/translations"


@pytest.mark.parametrize("lang", ["fr", "nl", "de"])
def test_every_message_is_translated(lang):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as po_file:
        catalog = read_po(po_file)
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert missing == []


def test_catalogs_hold_every_message_in_the_code():
    """A string marked for translation in the code or templates but absent from the catalogs fails here."""
    from babel.messages.extract import extract_from_dir

    root = TRANSLATIONS.parents[1]
    method_map = [("portal/**.py", "python"), ("vouchers/**.py", "python"), ("coaching/**.py", "python"),
                  ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}
    in_code = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(root), method_map=method_map, keywords=keywords):
        in_code.add(message if isinstance(message, str) else message[0])
    with open(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po", "rb") as po_file:
        catalog = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(po_file) if m.id}
    missing = sorted(in_code - catalog)
    assert missing == [], f"{len(missing)} messages missing: run pybabel extract/update, translate, compile"
