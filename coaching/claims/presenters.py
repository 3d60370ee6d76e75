"""The fund's list of claims as its page shows it: each row's words, day and amount written once per page, in
the reader's language, so that the template only places them (``_()`` or a filter called inside the loop of a
Jinja template copies its context for each row)."""

from __future__ import annotations

from typing import NamedTuple

from flask_babel import get_locale, get_timezone, get_translations

from coaching.claims.forms import CLAIM_STATUS_LABELS
from coaching.claims.reads import ClaimRow
from portal.formats import money_writer
from portal.i18n import labels_in
from portal.instant_text import instant_writer
from portal.row_links import id_links


class FundClaimRow(NamedTuple):
    id: int
    link: str
    title: str  # "Claim 12"
    provider_name: str
    voucher_code: str
    sent_on: str  # the instant it was sent, in the reader's language and Belgium's time
    session_count: int
    disputed_count: int
    amount: str
    status: str  # in words


def fund_claim_rows(rows: list[ClaimRow]) -> list[FundClaimRow]:
    locale = get_locale()
    statuses = labels_in(CLAIM_STATUS_LABELS, locale)
    link = id_links("claims.fund_claim", "claim_id")
    title = get_translations().ugettext("Claim %(id)s")
    sent = instant_writer(locale, get_timezone())
    money = money_writer(locale, "EUR")
    return [FundClaimRow(row.id, link(row.id), title % {"id": row.id}, row.provider_name, row.voucher_code,
                         sent(row.submitted_at), row.session_count, row.disputed_count, money(row.amount_cents),
                         statuses.get(row.status, row.status))
            for row in rows]
