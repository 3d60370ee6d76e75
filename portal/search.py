"""What the fund's search boxes share: names compared without case or accents, the same way in Python, SQLite and
PostgreSQL, and the longest text a search box takes.

``fold("Hélène Østergård")`` is ``"helene ostergard"``. In SQL, ``folded(column)`` is ``tnw_fold(column)``: on
PostgreSQL an immutable function over the ``unaccent`` extension (made by the migration ``f16e5ea4c001``, which
also indexes the folded names with trigrams, so that ``%word%`` finds a name among hundreds of thousands through an
index); on SQLite the same Python ``fold``, registered on each connection (``portal.db``). A word typed in the box
is folded in Python, so "helene", "HELENE" and "Hélène" all find Hélène, and Hélène finds Helene.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, or_

#: The longest text a search box takes: a name, a number or a reference is never longer.
MAX_SEARCH = 100
SEARCH_TOO_LONG = _l("Type at most 100 characters: a name, a number or a reference.")

#: At most this many words of a name are looked for (each must be found).
MAX_WORDS = 5

#: The trigram indexes of folded names, on PostgreSQL only (migration ``f16e5ea4c001``): expressions the models
#: cannot declare for both databases (SQLite cannot read them back), so the check that the migrations match the
#: models leaves these names out (``tests/portal/test_cli_and_config.py``).
FOLDED_NAME_INDEXES = frozenset({"ix_users_folded_names", "ix_member_invitations_folded_names",
                                 "ix_providers_folded_name", "ix_bank_lines_folded_payer"})

#: Letters the Unicode decomposition leaves alone but PostgreSQL's ``unaccent`` rewrites: both sides agree.
_UNACCENT_MORE = str.maketrans({"ø": "o", "Ø": "O", "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe",
                                "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D",
                                "þ": "th", "Þ": "TH", "ı": "i"})


def fold(text: str | None) -> str | None:
    """``text`` in lower case without accents (None stays None, as SQL's NULL does)."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNACCENT_MORE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def folded(column: Any) -> Any:
    """``column`` folded in SQL, as ``fold`` does in Python (``tnw_fold``)."""
    return func.tnw_fold(column)


def contains_pattern(word: str) -> str:
    """A LIKE pattern for a text holding ``word`` (folded) anywhere; ``%``, ``_`` and ``\\`` typed are literal
    (use with ``escape="\\\\"``)."""
    escaped = (fold(word) or "").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """SQLite: ``tnw_fold`` as the Python ``fold`` (PostgreSQL has it from the migration)."""
    dbapi_connection.create_function("tnw_fold", 1, fold, deterministic=True)


def name_words(columns: tuple[Any, ...], count: int, first: int = 0) -> Any:
    """Each of ``count`` words (bind parameters ``q_w<first>``, ``q_w<first + 1>``..., patterns from
    ``contains_pattern``) is found in one of ``columns``, folded: the condition of a name search."""
    return and_(*(or_(*(folded(column).ilike(bindparam(f"q_w{index}"), escape="\\") for column in columns))
                  for index in range(first, first + count)))
