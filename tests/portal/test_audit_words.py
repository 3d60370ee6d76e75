"""The audit page says every code the portal writes to the log in words: the kind of object, the action and the
states before and after. A new code written without words fails here."""

from __future__ import annotations

import re
from pathlib import Path

from portal.audit import KNOWN_AUDIT_OBJECT_TYPES, record
from portal.audit.words import ACTION_WORDS, OBJECT_WORDS, STATE_WORDS
from portal.permissions import Role
from tests.support.factories import make_user
from tests.support.web import login

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [path.read_text() for package in ("portal", "coaching", "vouchers") for path in (ROOT / package).rglob("*.py")]
# action="x", "action": "x", and action="x" if ... else "y"
ACTIONS = re.compile(r'\baction=\s*"([a-z_0-9]+)"(?: if [^\n]+? else "([a-z_0-9]+)")?|"action": "([a-z_0-9]+)"')
STATES = re.compile(r'\b(?:from|to)_state=\s*"([a-z_]+)"(?: if [^\n]+? else "([a-z_]+)")?|"(?:from|to)_state": "([a-z_]+)"')


def _written(pattern: re.Pattern[str]) -> set[str]:
    return {code for source in SOURCES for match in pattern.findall(source) for code in match if code}


def _statuses() -> set[str]:
    """Every status an object can have: the states written to the log through a variable come from these."""
    from coaching.disputes.services import STATUSES as DISPUTE_STATUSES
    from vouchers.banking.models import (
        BATCH_STATUSES,
        LINE_STATUSES,
        STATEMENT_STATUSES,
    )
    from vouchers.banking.payout_models import REFUND_STATUSES, TRANSFER_STATUSES
    from vouchers.employers.company_access.models import CLAIM_STATUSES
    from vouchers.employers.models import (
        CONTRIBUTION_STATUSES,
        DECLARATION_STATUSES,
        IMPORT_STATUSES,
    )
    from vouchers.requests.models import REQUEST_STATUSES, VOUCHER_STATUSES

    session_states = {"scheduled", "logged", "cancelled", "attended", "no_show", "late_cancel", "pending",
                      "confirmed", "disputed"}  # coaching.calendar.models' check constraints
    claim_states = {"submitted", "approved", "rejected", "paid"}  # coaching.claims.models' check constraint
    return {*DISPUTE_STATUSES, *BATCH_STATUSES, *LINE_STATUSES, *STATEMENT_STATUSES, *REFUND_STATUSES,
            *TRANSFER_STATUSES, *CLAIM_STATUSES, *CONTRIBUTION_STATUSES, *DECLARATION_STATUSES, *IMPORT_STATUSES,
            *REQUEST_STATUSES, *VOUCHER_STATUSES, *session_states, *claim_states}


def test_every_object_type_action_and_state_written_to_the_log_has_words() -> None:
    actions = _written(ACTIONS)
    assert {"status_changed", "mix_fixed", "viewed"} <= actions, "the pattern is out of date"
    assert set(KNOWN_AUDIT_OBJECT_TYPES) == set(OBJECT_WORDS)
    assert not actions - set(ACTION_WORDS), sorted(actions - set(ACTION_WORDS))
    states = _written(STATES) | _statuses()
    assert not states - set(STATE_WORDS), sorted(states - set(STATE_WORDS))


def test_the_audit_page_shows_words_and_keeps_the_note_as_written(client, db_session) -> None:
    admin = make_user(db_session, Role.FUND_ADMIN, language="fr")
    record(db_session, actor=admin, object_type="contribution", object_id=7, action="status_changed",
           from_state="due", to_state="partially_paid", reason="bank bank-line-2")
    db_session.flush()
    login(client, admin.email)
    page = client.get("/admin/fund/audit?object_type=contribution&object_id=7").get_data(as_text=True)
    rows = page.split('id="audit"')[1].split("</table>")[0]
    assert "partially_paid" not in rows and "status_changed" not in rows
    assert 'translate="no">bank bank-line-2</td>' in rows
    # The filter offers the kinds of object in words; a code that is not one is refused, and the page says so.
    assert '<option value="payout_batch">' in page
    refused = client.get("/admin/fund/audit?object_type=nonsense")
    assert refused.status_code == 422
