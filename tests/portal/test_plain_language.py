"""Easy words (issue 16): the beneficiary's pages in plain language, from the ``plain`` catalog domain.

The switch turns them on and off (a visitor's cookie, a beneficiary's account); the pages then show the plain version
of every message that has one, in French, Dutch, German and English, and the ordinary words for the rest; the
decision e-mails follow the recipient's choice. The four catalogs are complete, keep every placeholder, and their
sentences are short.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from portal.clock import today_in_brussels, utcnow
from portal.permissions import Role
from tests.support.factories import make_provider, make_user
from tests.support.web import bearer, csrf_token, login

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "portal" / "translations"
LANGUAGES = ("fr", "nl", "de", "en")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
MAX_WORDS = 20


def _catalog(path: Path) -> dict[str, str]:
    with open(path, "rb") as po_file:
        return {m.id: m.string for m in read_po(po_file) if m.id and isinstance(m.id, str)}


def _template() -> list[str]:
    with open(TRANSLATIONS / "plain.pot", "rb") as pot_file:
        return [m.id for m in read_po(pot_file) if m.id]


PLAIN = {lang: _catalog(TRANSLATIONS / lang / "LC_MESSAGES" / "plain.po") for lang in LANGUAGES}
_MESSAGES = {lang: _catalog(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po") for lang in ("fr", "nl", "de")}


def ordinary(lang: str, msgid: str) -> str:
    """The ordinary words of a message (English is the msgid itself)."""
    return _MESSAGES[lang].get(msgid) or msgid if lang != "en" else msgid


# --- the catalogs -----------------------------------------------------------------------------------------------


def test_the_plain_template_is_extracted_from_the_list_of_plain_messages():
    """plain.pot is what ``pybabel extract -F babel-plain.cfg -k plain`` makes of portal/plain/msgids.py."""
    from babel.messages.extract import extract_from_file

    from portal.plain.msgids import MSGIDS

    marked = [message for _line, message, _comments, _context in
              extract_from_file("python", str(ROOT / "portal" / "plain" / "msgids.py"), keywords={"plain": None})]
    assert marked == list(MSGIDS), "every entry of MSGIDS is a plain(...) call"
    assert len(set(marked)) == len(marked)
    assert _template() == marked, "extract plain.pot again: the commands are in portal/plain/msgids.py"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_language_has_a_plain_version_of_every_message(lang):
    path = TRANSLATIONS / lang / "LC_MESSAGES" / "plain.po"
    with open(path, "rb") as po_file:
        catalog = read_po(po_file)
    assert str(catalog.locale) == lang
    messages = [m for m in catalog if m.id]
    assert sorted(m.id for m in messages) == sorted(_template()), "run: pybabel update -D plain ..."
    untranslated = [m.id for m in messages if not m.string or m.fuzzy]
    assert untranslated == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_compiled_plain_catalog_matches_its_source(lang):
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    with open(folder / "plain.mo", "rb") as mo_file:
        compiled = {m.id: m.string for m in read_mo(mo_file) if m.id}
    assert compiled == PLAIN[lang], "run: pybabel compile -D plain -d portal/translations"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plain_versions_keep_every_placeholder(lang):
    wrong = {msgid: text for msgid, text in PLAIN[lang].items()
             if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(msgid))}
    assert wrong == {}
    # A plain text is filled in with ``%`` like the ordinary one: a lone percent sign would break it.
    assert [text for text in PLAIN[lang].values() if "%" in PLACEHOLDER.sub("", text)] == []


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plain_sentences_are_short(lang):
    """A rough check that the texts are plain: no sentence over 20 words (a placeholder counts as one)."""
    long = [(len(s.split()), s) for text in PLAIN[lang].values() for s in sentences(text) if len(s.split()) > MAX_WORDS]
    assert long == []


def test_the_sentence_check_catches_a_long_sentence():
    text = "Short one. " + " ".join(["word"] * (MAX_WORDS + 1)) + "."
    assert [len(s.split()) for s in sentences(text)] == [2, MAX_WORDS + 1]


@pytest.mark.parametrize("lang", ("fr", "nl", "de"))
def test_the_plain_words_differ_from_the_ordinary_ones(lang):
    """Most plain versions say it otherwise (a few ordinary words were plain already, e.g. a heading)."""
    same = [msgid for msgid, text in PLAIN[lang].items() if text == ordinary(lang, msgid)]
    assert len(same) <= len(PLAIN[lang]) // 10, same


def test_every_plain_message_is_still_a_message_of_the_portal():
    """A msgid the code no longer has leaves a plain text nobody sees: its new msgid needs one."""
    from babel.messages.extract import extract_from_dir

    method_map = [("portal/**.py", "python"), ("vouchers/**.py", "python"), ("coaching/**.py", "python"),
                  ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}
    in_code = {message if isinstance(message, str) else message[0]
               for _f, _l, message, _c, _x in extract_from_dir(str(ROOT), method_map=method_map, keywords=keywords)}
    stale = sorted(set(_template()) - in_code)
    assert stale == [], "update portal/plain/msgids.py and the plain catalogs (its docstring says how)"


# --- the switch -------------------------------------------------------------------------------------------------


def _switch(page: str) -> str:
    found = re.search(r'<form[^>]*class="plain-switch".*?</form>', page, re.DOTALL)
    assert found, "no easy-words switch on the page"
    return found.group(0)


def test_a_visitor_turns_easy_words_on_and_off_without_a_session(client):
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    switch = _switch(page)
    assert 'method="get"' in switch and 'name="on" value="1"' in switch and 'aria-pressed="false"' in switch

    turned_on = client.get("/easy-words?on=1&next=/eligibility")
    assert turned_on.status_code == 302 and turned_on.headers["Location"] == "/eligibility"
    cookies = turned_on.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("easy_words=1;") and "HttpOnly" in cookies[0]
    page = client.get("/", headers={"Accept-Language": "en"})
    assert "Set-Cookie" not in page.headers  # a public page still starts no session: it stays cacheable
    assert 'aria-pressed="true"' in _switch(page.get_data(as_text=True))

    turned_off = client.get("/easy-words?on=0&next=/eligibility")
    assert turned_off.headers.getlist("Set-Cookie")[0].startswith("easy_words=;")
    assert 'aria-pressed="false"' in _switch(client.get("/").get_data(as_text=True))
    # Back only to a page of this site.
    assert client.get("/easy-words?on=1&next=https://elsewhere.example/").headers["Location"] == "/"


def test_the_switch_is_a_button_on_the_pages_a_beneficiary_walks_through(client, db_session):
    for path in ("/", "/eligibility", "/register", "/login", "/providers"):
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        # A real button in a form: reached with Tab, pressed with Enter or Space, its state read out.
        assert re.search(r'<button type="submit"[^>]*aria-pressed="false">', _switch(response.get_data(as_text=True)))
    person = make_user(db_session, Role.BENEFICIARY, language="en")
    login(client, person.email)
    for path in ("/my", "/notifications"):
        switch = _switch(client.get(path).get_data(as_text=True))
        assert 'method="post"' in switch and 'name="csrf_token"' in switch


def test_a_beneficiary_turns_easy_words_on_for_the_account_and_off_again(app, client, db_session):
    person = make_user(db_session, Role.BENEFICIARY, language="en")
    login(client, person.email)
    token = csrf_token(client, "/my")
    turned_on = client.post("/easy-words", data={"csrf_token": token, "on": "1", "next": "/my"})
    assert turned_on.status_code == 302 and turned_on.headers["Location"] == "/my"
    assert turned_on.headers["Set-Cookie"].startswith("easy_words=1;")  # this device keeps it after logging out
    db_session.refresh(person)
    assert person.plain_language is True
    assert 'aria-pressed="true"' in _switch(client.get("/my").get_data(as_text=True))

    elsewhere = app.test_client()  # another device: the account carries the choice
    login(elsewhere, person.email)
    assert 'aria-pressed="true"' in _switch(elsewhere.get("/my").get_data(as_text=True))

    without_token = client.post("/easy-words", data={"on": "0", "next": "/my"})
    assert without_token.status_code == 400
    db_session.refresh(person)
    assert person.plain_language is True

    turned_off = client.post("/easy-words", data={"csrf_token": token, "on": "0", "next": "/my"})
    assert turned_off.headers["Set-Cookie"].startswith("easy_words=;")
    db_session.refresh(person)
    assert person.plain_language is False
    assert 'aria-pressed="false"' in _switch(client.get("/my").get_data(as_text=True))


def test_staff_are_not_offered_easy_words_and_keep_the_ordinary_words(client, db_session):
    staff = make_user(db_session, Role.PROVIDER_ADMIN, language="fr")
    login(client, staff.email)
    client.set_cookie("easy_words", "1")
    page = client.get("/provider/vouchers").get_data(as_text=True)
    assert 'class="plain-switch"' not in page
    token = csrf_token(client, "/provider/vouchers")
    client.post("/easy-words", data={"csrf_token": token, "on": "1", "next": "/"})
    db_session.refresh(staff)
    assert staff.plain_language is False
    with client.application.test_request_context("/", headers={"Cookie": "easy_words=1"}):
        from flask_login import login_user

        from portal.plain.reading import plain_reading

        login_user(staff)
        assert plain_reading() is False


# --- the pages in easy words ------------------------------------------------------------------------------------


def segments(response) -> list[str]:
    """The page's texts, each text between two tags, with its spaces made single (the title left out)."""
    body = re.sub(r"<title>.*?</title>", " ", response.get_data(as_text=True), flags=re.DOTALL)
    texts = (html.unescape(part).replace("\u202f", " ").replace("\xa0", " ") for part in re.split(r"<[^>]+>", body))
    return [" ".join(text.split()) for text in texts if text.strip()]


def _shown(text: str, texts: list[str]) -> bool:
    """Whether a message is one of the page's texts (its placeholders filled with anything)."""
    parts = re.split(r"(%\(\w+\)[sd])", " ".join(text.split()))
    pattern = "".join(".+?" if PLACEHOLDER.fullmatch(part) else re.escape(part) for part in parts)
    return any(re.fullmatch(pattern, shown) for shown in texts)


def assert_plain_wherever_there_is_a_plain_version(lang: str, ordinary_page, plain_page, *, at_least: int) -> None:
    """Every message of the ordinary page that has a plain version is shown in its plain version instead.

    Two msgids may share their ordinary words ("Puis-je recevoir un chèque coaching ?" says two): then one of their
    plain versions is shown."""
    before, after = segments(ordinary_page), segments(plain_page)
    found: dict[str, list[str]] = {}
    for msgid in PLAIN[lang]:
        if _shown(ordinary(lang, msgid), before):
            found.setdefault(" ".join(ordinary(lang, msgid).split()), []).append(msgid)
    assert len(found) >= at_least, f"only {found} of the plain messages are on this page"
    missing = {words: [PLAIN[lang][m] for m in msgids] for words, msgids in found.items()
               if not any(_shown(PLAIN[lang][m], after) for m in msgids)}
    assert missing == {}
    plain_texts = [PLAIN[lang][m] for msgids in found.values() for m in msgids]
    stayed = [words for words in found if _shown(words, after) and not _shown(words, plain_texts)]
    assert stayed == [], "the ordinary words are still on the page in easy words"


def _decided(db_session, person, today, decision: str, reason: str | None = None):
    """A request of ``person``, submitted and decided by the fund: the request, and its voucher if approved."""
    from vouchers.requests.models import Voucher
    from vouchers.requests.services.requests import (
        RequestData,
        decide_voucher_request,
        submit_voucher_request,
    )

    data = RequestData(provider_id=make_provider(db_session).id, insurer_code=100, initiative="own", force_majeure=True,
                       contract_end_on=today - timedelta(days=5),
                       address={"street": "Rue Haute", "number": "1", "postcode": "1000", "municipality": "Bruxelles"})
    request = submit_voucher_request(db_session, person, data, today=today, now=utcnow())
    decide_voucher_request(db_session, make_user(db_session, Role.FUND_ADMIN), request.id, decision, reason,
                           today=today, now=utcnow(), medical_check_ok=True if decision == "approve" else None)
    return request, db_session.scalar(select(Voucher).where(Voucher.request_id == request.id))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_visitors_pages_in_easy_words(app, db_session, lang):
    headers = {"Accept-Language": lang}
    for path, at_least in (("/", 3), ("/eligibility", 6)):
        ordinary_page = app.test_client().get(path, headers=headers)
        reader = app.test_client()
        reader.set_cookie("easy_words", "1")
        plain_page = reader.get(path, headers=headers)
        assert f'<html lang="{lang}">' in plain_page.get_data(as_text=True)
        assert_plain_wherever_there_is_a_plain_version(lang, ordinary_page, plain_page, at_least=at_least)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_beneficiarys_pages_in_easy_words(app, client, db_session, lang):
    from portal.notifications.services import notify, page

    today = today_in_brussels()
    waiting = make_user(db_session, Role.BENEFICIARY, language=lang)
    request, _none = _decided(db_session, waiting, today, "request_info", "Which day did your contract end?")
    holder = make_user(db_session, Role.BENEFICIARY, language=lang)
    _request, voucher = _decided(db_session, holder, today, "approve")
    notify(db_session, [holder], "request_rejected", link=page("vouchers.dashboard"), reason="No.",
           appeal_until_on=today)

    def both(person, path: str):
        person.plain_language = False
        ordinary_page = client.get(path)
        person.plain_language = True
        plain_page = client.get(path)
        assert ordinary_page.status_code == plain_page.status_code == 200, path
        return ordinary_page, plain_page

    login(client, waiting.email)
    assert_plain_wherever_there_is_a_plain_version(lang, *both(waiting, "/my"), at_least=3)
    assert_plain_wherever_there_is_a_plain_version(lang, *both(waiting, f"/requests/{request.id}"), at_least=8)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/my")})
    login(client, holder.email)
    assert_plain_wherever_there_is_a_plain_version(lang, *both(holder, "/my"), at_least=4)
    assert_plain_wherever_there_is_a_plain_version(lang, *both(holder, f"/vouchers/{voucher.id}"), at_least=10)
    assert_plain_wherever_there_is_a_plain_version(lang, *both(holder, "/notifications"), at_least=6)


def test_easy_words_reach_statuses_and_labels_kept_per_language(app):
    """The labels translated once per language (portal.i18n) are kept apart for readers of easy words."""
    from flask_babel import gettext

    from portal.i18n import status_label

    def read(cookie: str | None) -> tuple[str, str, str]:
        headers = {"Accept-Language": "fr", **({"Cookie": f"easy_words={cookie}"} if cookie else {})}
        with app.test_request_context("/my", headers=headers):
            return (status_label("approved"), gettext("The fund decides by %(day)s.", day="1er mars"),
                    gettext("Return to Work Fund"))

    assert read(None) == ("Approuvé", "Le Fonds décide au plus tard le 1er mars.", "Fonds Retour au Travail")
    # A message without a plain version keeps its ordinary translation.
    assert read("1") == ("Accepté", "Le Fonds vous répond au plus tard le 1er mars.", "Fonds Retour au Travail")
    assert read(None)[0] == "Approuvé"


def test_the_json_api_keeps_the_ordinary_words(app, client, db_session):
    from portal.notifications.services import notify, page

    person = make_user(db_session, Role.BENEFICIARY, language="en")
    person.plain_language = True
    notify(db_session, [person], "request_waitlisted", link=page("vouchers.dashboard"))
    headers = bearer(client, person.email)
    client.set_cookie("easy_words", "1")
    items = client.get("/api/v1/notifications", headers=headers).get_json()["items"]
    assert items[0]["title"] == "Your voucher request is on the waiting list"
    login(client, person.email)
    assert "Your request is on the waiting list" in html.unescape(client.get("/notifications").get_data(as_text=True))


def test_a_page_in_easy_words_costs_no_more_statements(app, client, db_session):
    from tests.test_page_budgets import statements_of

    person = make_user(db_session, Role.BENEFICIARY, language="fr")
    _decided(db_session, person, today_in_brussels(), "approve")
    login(client, person.email)
    ordinary_statements, _ordinary = statements_of(app, client, "/my")
    db_session.get(type(person), person.id).plain_language = True  # read again: the count forgot every object
    plain_statements, plain_page = statements_of(app, client, "/my")
    assert len(plain_statements) == len(ordinary_statements)
    assert "Set-Cookie" not in plain_page.headers
    assert 'aria-pressed="true"' in plain_page.get_data(as_text=True)


# --- e-mails, the account and its data ---------------------------------------------------------------------------


class _Kept:
    def __init__(self) -> None:
        self.sent: list = []

    def send(self, message) -> None:  # type: ignore[no-untyped-def]
        self.sent.append(message)


DECISIONS = {
    "request_approved": {"code": "TNW-1", "value_cents": 180000, "valid_from_on": None, "valid_until_on": None,
                         "provider": "Coach & Co"},
    "request_rejected": {"reason": "Self-employed.", "appeal_until_on": None},
    "request_info_requested": {"question": "Which day did your contract end?"},
}


@pytest.mark.parametrize("kind", sorted(DECISIONS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_decision_emails_follow_the_recipients_choice(app, db_session, kind, lang):
    from portal.mail import deliver
    from portal.notifications.kinds import KINDS
    from portal.notifications.services import notify, page

    today = today_in_brussels()
    params = {name: today if value is None else value for name, value in DECISIONS[kind].items()}
    easy = make_user(db_session, Role.BENEFICIARY, language=lang)
    easy.plain_language = True
    usual = make_user(db_session, Role.BENEFICIARY, language=lang)
    notify(db_session, [easy, usual], kind, link=page("vouchers.dashboard"), **params)
    transport = _Kept()
    # Sent while someone else reads easy words (the request of a visitor with the cookie): each recipient's own.
    with app.test_request_context("/", headers={"Cookie": "easy_words=1"}):
        deliver(db_session, transport, "fund@example.be")
    by_recipient = {message["To"]: message for message in transport.sent}
    title = KINDS[kind].title
    assert by_recipient[easy.email]["Subject"] == PLAIN[lang][title]
    assert by_recipient[usual.email]["Subject"] == ordinary(lang, title)
    easy_text = by_recipient[easy.email].get_body(("plain",)).get_content()
    usual_text = by_recipient[usual.email].get_body(("plain",)).get_content()
    body = KINDS[kind].body
    plain_start = PLACEHOLDER.split(PLAIN[lang][body])[0][:20]
    ordinary_start = PLACEHOLDER.split(ordinary(lang, body))[0][:20]
    assert plain_start in easy_text and plain_start not in usual_text
    assert ordinary_start in usual_text
    # One idea per line: in the HTML e-mail, each its own paragraph.
    paragraphs = {who: by_recipient[who].get_body(("html",)).get_content().count("<p>") for who in by_recipient}
    assert paragraphs[easy.email] > paragraphs[usual.email]


def test_a_visitor_who_chose_easy_words_keeps_them_on_the_account_they_make(app, db_session):
    from portal.auth.services import create_user

    def new_account(role: Role, cookie: str | None):
        headers = {"Cookie": f"easy_words={cookie}"} if cookie else {}
        with app.test_request_context("/register", method="POST", headers=headers):
            return create_user(db_session, email=f"{role.value}-{cookie}-{utcnow().timestamp()}@example.be",
                               password="correct horse battery", role=role, language="fr")

    assert new_account(Role.BENEFICIARY, "1").plain_language is True
    assert new_account(Role.BENEFICIARY, None).plain_language is False
    assert new_account(Role.EMPLOYER, "1").plain_language is False
    assert make_user(db_session, Role.BENEFICIARY).plain_language is False  # no reader: a command, a job, a test


def test_the_data_export_says_whether_easy_words_are_on(client, db_session):
    person = make_user(db_session, Role.BENEFICIARY, language="en")
    person.plain_language = True
    login(client, person.email)
    assert client.get("/account/data.json").get_json()["account"]["easy_words"] is True


def test_the_database_requires_an_answer(db_session):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    person = make_user(db_session, Role.BENEFICIARY)
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(text("UPDATE users SET plain_language = NULL WHERE id = :id"), {"id": person.id})
