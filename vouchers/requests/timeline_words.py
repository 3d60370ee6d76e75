"""What happened to a request and its voucher, in the reader's words.

The audit log keeps codes (``status_changed``, ``mix_fixed``) and the services' own notes, in English, for the log
("request 12", "offer 1: 9 h + 3 sessions"): the fund's audit page shows those. The request and voucher pages show
each step in words instead, with the reason only when a person wrote it (the fund's question, the reasons of a
refusal, why a request was withdrawn, an answer) or when it says something the reader needs, in their language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from portal.i18n import status_label

# Steps that are not a change of status.
_ACTION_WORDS = {
    "issued": _l("Voucher issued"),
    "mix_fixed": _l("The provider set the coaching plan"),
    "mix_replanned": _l("The provider changed the coaching plan"),
    "provider_change_asked": _l("A change of coaching provider was asked"),
    "provider_changed": _l("The coaching provider was changed"),
    "filed_for_member": _l("Filed by the mutual insurer's return-to-work coordinator, with the member's consent"),
    "member_joined": _l("The member took up the request in their own account"),
    "member_invited_again": _l("The member was invited again by e-mail"),
    "viewed": _l("File consulted"),
}
OTHER_STEP = _l("Other change")

# The notes the services write themselves on a change of status (vouchers.requests.services,
# coaching.calendar.services), and what they mean for the reader (None: nothing to add to the step's words).
SERVICE_NOTES = {
    "withdrawn by the beneficiary": None,
    "route B: the fund's balance cannot cover it now": _l("The fund's budget cannot cover it now."),
    "end of validity": _l("The voucher's period of validity ended."),
    "first session logged": _l("The first session took place."),
    "the whole mix was delivered": _l("All the planned coaching was delivered."),
}
# A refusal's note ends with the appeal deadline, which the pages say in words of their own.
_APPEAL_NOTE = re.compile(r" \(appeal to the labour court by \d{4}-\d{2}-\d{2}\)$")
_ANSWER_NOTE = "answer: "


@dataclass(frozen=True)
class TimelineStep:
    at: datetime
    what: str  # the step, in words
    why: str  # what a person wrote, or the note in words; "" when there is nothing to add
    about_voucher: bool


def timeline_steps(entries: Iterable[Any]) -> list[TimelineStep]:
    """The audit entries of a request and its voucher (``timeline_of``) as steps to show, in the same order."""
    return [TimelineStep(at=entry.at, what=_what(entry), why=_why(entry), about_voucher=entry.object_type == "voucher")
            for entry in entries]


def _what(entry: Any) -> str:
    if entry.action == "status_changed" and entry.to_state:
        words = status_label(entry.to_state)
        return gettext("Voucher: %(status)s", status=words) if entry.object_type == "voucher" else words
    return str(_ACTION_WORDS.get(entry.action, OTHER_STEP))


def _why(entry: Any) -> str:
    """Only a change of status carries a reason to show: the other steps' notes are the log's (ids, codes)."""
    note = (entry.reason or "").strip()
    if entry.action != "status_changed" or not note:
        return ""
    if note in SERVICE_NOTES:
        meaning = SERVICE_NOTES[note]
        return str(meaning) if meaning is not None else ""
    if note.startswith(_ANSWER_NOTE):
        return gettext("Answer: %(text)s", text=note.removeprefix(_ANSWER_NOTE))
    return _APPEAL_NOTE.sub("", note)
