"""Easy words: the beneficiary's pages (and e-mails) in plain language, from a catalog domain of their own.

The ``plain`` domain (``portal/translations/<lang>/LC_MESSAGES/plain.po``, fr, nl, de and en) holds, for some of
the portal's ordinary English msgids, the same message in short sentences and everyday words (about CEFR A2).
When the reader asked for easy words, every ``_()`` of the page (templates, forms, labels, notices) looks in that
domain first and falls back to the ordinary catalog: the templates and the code need no change, and a message
without a plain version is shown as usual.

How: :class:`ReaderDomain` is flask-babel's default domain. For a reader of easy words it hands out, per language,
one catalog made once per process (the ordinary messages with the plain ones laid over them), so a page costs what
it cost before: one dictionary look-up per message, and no SQL (the flag is on the user already loaded).

Who reads easy words (decided once per request, on first use): a visitor who pressed the switch (a cookie, as the
language, so that public pages start no session and stay cacheable), and a beneficiary whose account has it on or
who pressed it on this device. An e-mail follows its recipient's account (:func:`reading_plain`). The JSON API
keeps the ordinary words: its texts are read by programs too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from babel import support
from flask import g, has_app_context, has_request_context, request, session
from flask_babel import Domain, get_locale
from flask_login import current_user

from portal.permissions import Role

DOMAIN = "plain"
#: A visitor's choice, kept like the language's (``portal.i18n.LANGUAGE_COOKIE``): "1", or no cookie.
COOKIE = "easy_words"
COOKIE_SECONDS = 365 * 24 * 3600
_DECIDED = "plain_reading"  # on ``g``: this request's (or e-mail's) answer, once found


def reads_plain(user: Any) -> bool:
    """Whether this account reads easy words: only beneficiaries are offered the switch."""
    return bool(getattr(user, "plain_language", False)) and getattr(user, "role", None) == Role.BENEFICIARY


def offered() -> bool:
    """The switch is shown to visitors (the eligibility check and the pages before registering) and beneficiaries."""
    return not current_user.is_authenticated or current_user.role == Role.BENEFICIARY


def _wanted_now() -> bool:
    if not has_request_context() or request.path.startswith("/api/"):
        return False
    on_this_device = request.cookies.get(COOKIE) == "1"
    if current_user.is_authenticated:
        return current_user.role == Role.BENEFICIARY and (on_this_device or bool(current_user.plain_language))
    return on_this_device


def plain_reading() -> bool:
    """Whether what is written now is for a reader of easy words (found once per request)."""
    if not has_app_context():
        return False
    decided = g.get(_DECIDED)
    if decided is None:
        decided = _wanted_now()
        setattr(g, _DECIDED, decided)
    return decided


@contextmanager
def reading_plain(on: bool) -> Iterator[None]:
    """Write for a reader of easy words, or not, while the block runs (an e-mail to its recipient)."""
    before = g.get(_DECIDED)
    setattr(g, _DECIDED, bool(on))
    try:
        yield
    finally:
        if before is None:
            g.pop(_DECIDED, None)
        else:
            setattr(g, _DECIDED, before)


def new_account_reads_plain(context: Any) -> bool:
    """The column's default: a visitor who pressed the switch and then makes their own beneficiary account keeps
    easy words on it (its e-mails then follow), as the language they browsed in becomes the account's. Read from
    the request's cookie and session only, never the database (this runs inside a flush)."""
    if not has_request_context() or request.cookies.get(COOKIE) != "1" or "_user_id" in session:
        return False
    return context.get_current_parameters().get("role") == Role.BENEFICIARY


class ReaderDomain(Domain):
    """flask-babel's default domain (``messages``), which lays the ``plain`` domain over it for a reader of easy
    words. Each language's layered catalog is made once per process."""

    def __init__(self) -> None:
        super().__init__(domain="messages")
        self._layered: dict[str, support.Translations] = {}

    def get_translations(self) -> support.NullTranslations:
        ordinary = super().get_translations()
        if not plain_reading():
            return ordinary
        language = str(get_locale())
        layered = self._layered.get(language)
        if layered is None:
            layered = self._layered[language] = _layer(ordinary, self._plain_catalogs(language))
        return layered

    def _plain_catalogs(self, language: str) -> list[support.NullTranslations]:
        return [support.Translations.load(directory, [language], DOMAIN) for directory in self.translation_directories]


def _layer(ordinary: support.NullTranslations, plain: list[support.NullTranslations]) -> support.Translations:
    """One catalog: the ordinary messages, each replaced by its plain version where there is one."""
    layered = support.Translations()
    layered._catalog = dict(getattr(ordinary, "_catalog", {}))
    if hasattr(ordinary, "plural"):
        layered.plural = ordinary.plural
    for catalog in plain:
        layered.merge(catalog)  # only real catalogs (a missing file is a NullTranslations: nothing to add)
    return layered
