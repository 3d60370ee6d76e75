"""Every kind of notice the portal can send, checked as a whole.

- Each reads well in every interface language: all its parameters filled in and shown in that language's formats.
- Each has a test that makes the real change and pins exactly who is told, once, in the portal and by e-mail
  (``tests.support.notices.told_exactly``): a kind added without one fails here.
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from portal.notifications.kinds import KINDS
from portal.notifications.models import Notification
from portal.notifications.services import encode_params, render

TESTS = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
SAMPLE_DAY = date(2026, 3, 9)
SAMPLE_INSTANT = datetime(2026, 3, 9, 13, 30, tzinfo=UTC)  # 14:30 in Brussels


def sample(name: str) -> object:
    if name.endswith("_on"):
        return SAMPLE_DAY
    if name.endswith("_at"):
        return SAMPLE_INSTANT
    if name.endswith("_cents"):
        return 123_456
    if name in {"count", "soon", "late", "lines"}:
        return 7
    return f"<{name}>"


# What the sample parameters look like in each language: the day, the money (1 234,56 €), the Brussels hour.
SHOWN = {
    "en": ("March 9, 2026", "1,234.56", "2:30"),
    "fr": ("9 mars 2026", "1\u202f234,56", "14:30"),
    "nl": ("9 maart 2026", "1.234,56", "14:30"),
    "de": ("9. März 2026", "1.234,56", "14:30"),
}


@pytest.mark.parametrize("language", sorted(SHOWN))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_reads_in_every_language(app, kind, language):
    spec = KINDS[kind]
    names = set(PLACEHOLDER.findall(spec.title + spec.body))
    notice = Notification(kind=kind, params=encode_params({name: sample(name) for name in names}),
                          link_endpoint="notifications.index", link_values="{}")
    with app.test_request_context():
        shown = render(notice, language)
    text = f"{shown.title}\n{shown.body}"
    assert not PLACEHOLDER.search(text), text
    for name in names:
        value = sample(name)
        if isinstance(value, str):
            assert value in text, (name, text)
    day, cents, hour = SHOWN[language]
    if any(name.endswith("_on") for name in names):
        assert day in text, text
    if any(name.endswith("_cents") for name in names):
        assert cents in text.replace("\xa0", "\u202f"), text
    if any(name.endswith("_at") for name in names):
        assert hour in text, text
    assert shown.link == "/notifications"


def _kinds_pinned_by_tests() -> set[str]:
    """The kinds named in a ``told_exactly(app, session, "<kind>", ...)`` call anywhere in the tests."""
    pinned = set()
    for path in TESTS.rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "told_exactly"
                    and len(node.args) >= 3 and isinstance(node.args[2], ast.Constant)):
                pinned.add(node.args[2].value)
    return pinned


def test_every_kind_has_a_test_of_who_is_told():
    missing = sorted(set(KINDS) - _kinds_pinned_by_tests())
    assert not missing, f"kinds without a told_exactly(...) test of their recipients: {missing}"


COORDINATOR_KINDS = sorted(name for name, spec in KINDS.items() if spec.for_coordinator)


@pytest.mark.parametrize("language", sorted(SHOWN))
@pytest.mark.parametrize("kind", COORDINATOR_KINDS)
def test_the_coordinator_s_words_name_the_member_in_every_language(app, kind, language):
    spec = KINDS[kind]
    title, body = spec.for_coordinator
    names = set(PLACEHOLDER.findall(spec.title + spec.body)) | {"member"}
    assert set(PLACEHOLDER.findall(title + body)) <= names, "the coordinator's words use the member's parameters"
    assert "reason" not in PLACEHOLDER.findall(title + body), "a refusal's reasons are the member's alone"
    notice = Notification(kind=kind, params=encode_params({name: sample(name) for name in names}),
                          link_endpoint="notifications.index", link_values="{}")
    with app.test_request_context():
        shown = render(notice, language)
        own = render(Notification(kind=kind, params=encode_params({name: sample(name) for name in names - {"member"}}),
                                  link_endpoint="notifications.index", link_values="{}"), language)
    text = f"{shown.title}\n{shown.body}"
    assert not PLACEHOLDER.search(text), text
    assert "<member>" in text and "<member>" not in f"{own.title}\n{own.body}"
    if language != "en":
        with app.test_request_context():
            assert render(notice, "en").title != shown.title, f"{kind}: the coordinator's words are not translated"


def test_the_request_kinds_have_words_for_the_coordinator():
    assert set(COORDINATOR_KINDS) >= {"request_submitted", "request_info_requested", "request_approved",
                                      "request_rejected", "request_waitlisted", "voucher_expiring", "voucher_expired"}
