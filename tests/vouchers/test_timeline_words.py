"""A request's and a voucher's history in words (vouchers.requests.timeline_words): no code of the audit log and none
of the services' own English notes reaches the person's pages; what a person wrote is shown as they wrote it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from flask_babel import force_locale

from portal.clock import utcnow
from tests.support.web import login
from vouchers.requests.services.requests import (
    RequestData,
    decide_voucher_request,
    submit_voucher_request,
    timeline,
    withdraw_voucher_request,
)
from vouchers.requests.timeline_words import SERVICE_NOTES, timeline_steps

ROOT = Path(__file__).resolve().parents[2]
SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def _entry(action: str, *, object_type: str = "voucher_request", to_state: str | None = None,
           reason: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(at=utcnow(), action=action, object_type=object_type, from_state=None, to_state=to_state,
                           reason=reason)


def _route_a(provider, today) -> RequestData:
    return RequestData(provider_id=provider.id, insurer_code=100, initiative="coordinator", force_majeure=True,
                       contract_end_on=today - timedelta(days=5),
                       address={"street": "Rue", "number": "1", "postcode": "1000", "municipality": "Bruxelles"})


def test_each_step_is_said_in_words_and_only_a_persons_reasons_are_shown(app) -> None:
    entries = [
        _entry("status_changed", to_state="submitted"),
        _entry("viewed"),
        _entry("status_changed", to_state="info_requested", reason="Send the C4 form, please."),
        _entry("status_changed", to_state="submitted", reason="answer: It started on 2 May."),
        _entry("status_changed", to_state="rejected",
               reason="Too early. (appeal to the labour court by 2027-03-01)"),
        _entry("issued", object_type="voucher", to_state="approved", reason="request 12"),
        _entry("mix_fixed", object_type="voucher", reason="offer 1: 9 h + 3 sessions"),
        _entry("status_changed", object_type="voucher", to_state="in_progress", reason="first session logged"),
        _entry("something_new", reason="ids and codes"),
    ]
    with app.test_request_context(), force_locale("en"):
        steps = [(step.what, step.why) for step in timeline_steps(entries)]
    assert steps == [
        ("Waiting for the fund's decision", ""),
        ("File consulted", ""),
        ("Information requested", "Send the C4 form, please."),
        ("Waiting for the fund's decision", "Answer: It started on 2 May."),
        ("Refused", "Too early."),
        ("Voucher issued", ""),
        ("The provider set the coaching plan", ""),
        ("Voucher: Coaching under way", "The first session took place."),
        ("Other change", ""),
    ]


def test_the_steps_are_in_the_readers_language(app) -> None:
    entries = [_entry("mix_fixed", object_type="voucher"), _entry("status_changed", to_state="approved")]
    with app.test_request_context(), force_locale("nl"):
        words = [step.what for step in timeline_steps(entries)]
    with app.test_request_context(), force_locale("en"):
        english = [step.what for step in timeline_steps(entries)]
    assert words[1] != english[1], "the status is not translated"
    assert not any(SNAKE_CASE.search(text) for text in words)


def test_the_notes_the_services_write_are_the_ones_the_words_know() -> None:
    """The notes are matched as the services write them: a note changed there must change here too."""
    sources = "\n".join(path.read_text() for package in ("vouchers", "coaching")
                        for path in (ROOT / package).rglob("*.py") if path.name != "timeline_words.py")
    missing = [note for note in SERVICE_NOTES if f'"{note}"' not in sources]
    assert not missing, missing


def test_a_real_history_reads_in_words(app, db_session, beneficiary, admin, provider, today) -> None:
    """Submitted, withdrawn with the default note, a second request refused with its appeal note, as the services
    record them."""
    now = utcnow()
    first = submit_voucher_request(db_session, beneficiary, _route_a(provider, today), today=today, now=now)
    withdraw_voucher_request(db_session, beneficiary, first.id, now=now)
    second = submit_voucher_request(db_session, beneficiary, _route_a(provider, today), today=today, now=now)
    decide_voucher_request(db_session, admin, second.id, "reject", "The contract ended too early.", today=today,
                           now=now)
    with app.test_request_context(), force_locale("en"):
        withdrawn = [(s.what, s.why) for s in timeline_steps(timeline(db_session, first))]
        refused = [(s.what, s.why) for s in timeline_steps(timeline(db_session, second))]
    assert withdrawn[-1] == ("Withdrawn", "")
    assert refused[-1] == ("Refused", "The contract ended too early.")


def test_the_request_page_shows_no_code(client, db_session, beneficiary, admin, provider, today) -> None:
    from vouchers.requests.models import Voucher

    now = utcnow()
    request = submit_voucher_request(db_session, beneficiary, _route_a(provider, today), today=today, now=now)
    decide_voucher_request(db_session, admin, request.id, "approve", None, today=today, now=now)
    voucher = db_session.query(Voucher).filter_by(request_id=request.id).one()
    login(client, beneficiary.email)
    for path in (f"/requests/{request.id}", f"/vouchers/{voucher.id}"):
        page = client.get(path).get_data(as_text=True)
        history = page.split("<ol class=\"timeline\">")[1].split("</ol>")[0]
        assert not SNAKE_CASE.search(history) and "None" not in history and "request " not in history, history
