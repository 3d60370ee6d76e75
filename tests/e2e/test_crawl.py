"""Every page of the demo, as each of its people sees it, on a 390 px phone, in French and in Dutch.

For each demo login the crawl follows the same-site links it can reach from the person's start page (breadth
first, GET only, a few pages of each kind) and fails, listing everything found at once, when a page:
- shows an internal word: a snake_case code, ``None``, ``null`` or ``undefined``;
- on a French or Dutch page, shows English words that neither language has;
- is wider than the phone, or has a box that scrolls sideways (a wide table: it must stack on a phone);
- has anything axe finds (WCAG 2.0/2.1 A and AA), checked in French on the first page of each path (the markup
  is the same in Dutch, and for another record or filter of the same page);
- answers with an error.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import AXE_TAGS, LIVE_APPS, PHONE, serve_fresh_app
from tests.support.smtp import SMTPServer

DEMO_DOMAIN = "demo.tnw.be"
ROLES = ("beneficiary", "admin", "provider", "coach", "employer", "coordinator")
LANGUAGES = ("fr", "nl")
# Enough to reach every kind of page of the demo's people (the fund administrator's ~60 are the most) while the
# whole crawl (6 people, 2 languages) stays around two minutes.
PAGES_PER_LANGUAGE = 80
SAME_KIND = 2  # pages of one kind (see _kind) worth reading: the first two found

# Not pages: files, feeds, the language switch, signing in and out, links that act once (tokens).
SKIPPED = re.compile(r"\.(pdf|csv|xml|json|ics)$|^/(api|static|login|logout|language|confirm|join)(/|$)"
                     r"|/payment-return$|/accept/|/confirm/")

INTERNAL_WORDS = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\bNone\b|\bnull\b|\bundefined\b")
# English words that are neither French nor Dutch words (checked against both catalogs): on a French or Dutch page,
# any of them means an untranslated text.
ENGLISH_WORDS = re.compile(
    r"\b(the|and|your|you|with|request|requests|submitted|approved|refused|pending|waiting|please|from|this|which|"
    r"should|yet|there|their|about|vouchers|providers|employer|employee|payment|payments|claims|hours|today|sent|"
    r"received|due|overdue|paid|unpaid|booked|cancelled|confirmed|upcoming|missed|here|view|edit|save|delete|"
    r"submit|search|invited|password|settings|letter|letters|balance|used|none)\b",
    re.IGNORECASE)

# What a person can read or hear on the page: its visible text, its title, and the names of things given by
# attributes (a screen reader says them; a phone shows the placeholders), leaving out the parts that match ``skip``
# and those marked as written in another language (a provider's English theme: <p lang="en">).
PAGE_TEXT = """(skip) => {
  const language = document.documentElement.lang.split('-')[0];
  const left_out = [...document.body.querySelectorAll(skip + ', [lang]')]
    .filter(e => !e.hasAttribute('lang') || e.lang.split('-')[0] !== language);
  const kept = left_out.map(e => e.style.visibility);
  left_out.forEach(e => { e.style.visibility = 'hidden'; });  // innerText leaves out what is not visible
  try {
    const named = [...document.querySelectorAll('[aria-label], [placeholder], img[alt], [title]')]
      .filter(e => !left_out.some(part => part.contains(e)))
      .map(e => [e.getAttribute('aria-label'), e.getAttribute('placeholder'), e.getAttribute('alt'),
                 e.getAttribute('title')].filter(Boolean).join(' '));
    return [document.title, document.body.innerText, ...named].join('\\n');
  } finally {
    left_out.forEach((e, i) => { e.style.visibility = kept[i]; });
  }
}"""
# Literal text that a person types or copies (a CSV file's column names, a key) may be a code.
LITERAL = "code, kbd, samp"
# Records kept word for word (translate="no": the audit log's notes) are not the page's words.
VERBATIM = LITERAL + ", [translate=no]"
ADDRESSES = re.compile(r"\S+@\S+|\b[a-z]+://\S+")
# How far the page is wider than the screen. On a phone, a page wider than the screen makes the browser zoom out
# (window.innerWidth grows with it), so the screen's width is the layout viewport's: clientWidth.
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# The boxes that scroll sideways inside the page (a wide table in its .table-wrap): a phone shows a part of them.
SCROLLS_INSIDE = """() => [...document.body.querySelectorAll('*')]
  .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + [...e.classList].map(c => '.' + c).join('')
       + ' > ' + [...e.children].map(c => c.tagName.toLowerCase() + (c.id ? '#' + c.id : '')).join(' '))"""
# The elements that stick out past the right edge of the screen, narrowest first: where the overflow comes from.
TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth;
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + [...e.classList].map(c => '.' + c).join('');
  return [...document.body.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > width + 1 && getComputedStyle(e).position !== 'fixed')
    .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > width + 1))
    .slice(0, 4).map(e => name(e) + ' (' + Math.round(e.getBoundingClientRect().right) + 'px)');
}"""


@pytest.fixture(scope="module")
def demo_server(smtp_server: SMTPServer) -> Iterator[str]:
    """A server of its own with the demo world (``flask seed-demo``), so that no other test's data shows."""
    from portal.db import db
    from portal.demo import seed_demo

    with serve_fresh_app(smtp_server) as base_url:
        with LIVE_APPS[base_url].app_context():
            seed_demo(db.session)
            db.session.commit()
        yield base_url


@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_in_words_fits_a_phone_and_passes_axe(role: str, demo_server: str, browser: Browser) -> None:
    email = f"{role}@{DEMO_DOMAIN}"
    problems: list[str] = []
    read: list[str] = []
    for language in LANGUAGES:
        _read_in(demo_server, email, language)
        context = browser.new_context(base_url=demo_server, locale=f"{language}-BE", **PHONE)
        context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            _log_in(page, demo_server, email)
            problems += _crawl(page, demo_server, language, read)
        finally:
            context.close()
    assert len(read) > 10, f"the crawl read only {read}"
    assert not problems, (f"{len(problems)} problem(s) on the {len(read)} pages {email} read:\n"
                          + "\n".join(problems))


def _read_in(base_url: str, email: str, language: str) -> None:
    """The account's language is the one its pages are in."""
    from portal.auth.models import User
    from portal.db import db

    with LIVE_APPS[base_url].app_context():
        user = db.session.scalar(User.by_email(email))
        assert user is not None, f"the demo has no {email}"
        user.language = language
        db.session.commit()


def _log_in(page: Page, base_url: str, email: str) -> None:
    from portal.demo import DEMO_PASSWORD
    from tests.support.web import one_time_code

    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    if urlsplit(page.url).path == "/login/two-step":
        code = one_time_code(LIVE_APPS[base_url], email)
        assert code is not None
        page.locator("input[name=code]").fill(code)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
    assert not urlsplit(page.url).path.startswith("/login"), f"{email} could not log in: still on {page.url}"


def _crawl(page: Page, base_url: str, language: str, read: list[str]) -> list[str]:
    """Visit the pages reachable from the start page, breadth first (adding each to ``read``); what is wrong.

    Pages of a path not read yet come before more pages of a path already read (another filter of a list): so
    every page of the site is read before the limit, and the next pages of a kind after."""
    problems: list[str] = []
    new_paths: deque[str] = deque(["/"])
    more_of_a_path: deque[str] = deque()
    seen: set[str] = {"/"}
    kinds: Counter[str] = Counter()
    checked: set[str] = set()
    axed: set[str] = set()  # the pages axe has checked, by their path and query keys: the same markup
    while (new_paths or more_of_a_path) and len(checked) < PAGES_PER_LANGUAGE:
        path = (new_paths or more_of_a_path).popleft()
        response = page.goto(path)
        where = f"[{language}] {path}"
        if response is None or response.status >= 400:
            checked.add(path)
            problems.append(f"{where}: answered {response.status if response else 'nothing'}")
            continue
        landed = _path(page.url)
        if landed in checked:  # a redirect to a page already read
            continue
        checked.add(landed)
        read.append(f"[{language}] {landed}")
        seen.add(landed)
        problems += [f"{where}: {problem}" for problem in _page_problems(page, language)]
        if language == LANGUAGES[0] and _markup(landed) not in axed:
            axed.add(_markup(landed))
            problems += [f"{where}: {problem}" for problem in _axe_violations(page)]
        for link in _links(page, base_url):
            if link not in seen:
                seen.add(link)
                kind = _kind(link)
                if kinds[kind] < SAME_KIND:
                    kinds[kind] += 1
                    shape = kind.partition("?")[0]
                    known = any(_kind(other).partition("?")[0] == shape for other in checked | set(new_paths))
                    (more_of_a_path if known else new_paths).append(link)
    return problems


def _page_problems(page: Page, language: str) -> list[str]:
    problems: list[str] = []
    text = ADDRESSES.sub(" ", page.evaluate(PAGE_TEXT, LITERAL))
    for match in INTERNAL_WORDS.finditer(text):
        problems.append(f"internal word {match.group(0)!r} in {_around(text, match)!r}")
    if language != "en":
        text = ADDRESSES.sub(" ", page.evaluate(PAGE_TEXT, VERBATIM))
        for match in ENGLISH_WORDS.finditer(text):
            problems.append(f"English {match.group(0)!r} in {_around(text, match)!r}")
    overflow = page.evaluate(SIDEWAYS)
    if overflow > 1:
        problems.append(f"{overflow}px wider than the phone, because of {', '.join(page.evaluate(TOO_WIDE))}")
    problems += [f"scrolls sideways inside {box}" for box in page.evaluate(SCROLLS_INSIDE)]
    return problems


def _axe_violations(page: Page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    found = []
    for violation in results.response.get("violations", []):
        targets = [" ".join(map(str, node.get("target", []))) for node in violation.get("nodes", [])]
        found.append(f"axe {violation['id']} ({violation.get('impact')}): {violation['help']} at {', '.join(targets[:3])}")
    return found


def _links(page: Page, base_url: str) -> list[str]:
    """The page's links to other pages of the site, as paths with their query, without fragments."""
    hrefs: list[dict[str, Any]] = page.eval_on_selector_all(
        "a[href]", "links => links.map(a => ({href: a.href, download: a.hasAttribute('download')}))")
    site = urlsplit(base_url).netloc
    paths = []
    for link in hrefs:
        url = urlsplit(link["href"])
        if link["download"] or url.scheme not in ("http", "https") or url.netloc != site or SKIPPED.search(url.path):
            continue
        paths.append(_path(link["href"]))
    return paths


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _kind(path: str) -> str:
    """Pages of one kind: /requests/12 and /requests/40 are, and so are a list's pages (?before=25, ?day=2026-12-07),
    but not its filters (?status=paid and ?status=due show different things)."""
    url = urlsplit(path)
    query = sorted((key, "#" if re.search(r"\d", value) else value)
                   for key, value in parse_qsl(url.query, keep_blank_values=True))
    return re.sub(r"/\d+", "/#", url.path) + "?" + urlencode(query)


def _markup(path: str) -> str:
    """Pages with the same markup: a path but for its numbers, with the same query keys (a list and its filters)."""
    url = urlsplit(path)
    keys = sorted({key for key, _ in parse_qsl(url.query, keep_blank_values=True)})
    return re.sub(r"/\d+", "/#", url.path) + "?" + "&".join(keys)


def _around(text: str, match: re.Match[str]) -> str:
    start, end = max(match.start() - 40, 0), min(match.end() + 40, len(text))
    return " ".join(text[start:end].split())
