"""No sensitive data in the logs.

Every log record the app writes (any logger, any level) and everything it prints while people
register, log in with a wrong password, are refused for bad input, declare a worker, log a coaching
session with a sensitive note and dispute it, is collected. None of it may contain a national
number, a password, a bearer token, a session note or a dispute reason: logs travel to places
(log shippers, support tickets) where health and identity data must never go.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest

from portal.permissions import Role
from tests.support.factories import PASSWORD, make_employer, make_user, new_niss
from tests.support.identity import confirm_address
from tests.support.web import bearer


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


@pytest.fixture
def logs(app) -> Iterator[Collect]:
    """Every record of every logger, from DEBUG up, while the test runs."""
    handler = Collect()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", app.logger.name, "werkzeug", "portal.scheduler")}
    root.addHandler(handler)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _forms_of(niss: str) -> set[str]:
    """The number as typed, as digits, and in the usual printed shape (YY.MM.DD-XXX.CC)."""
    digits = niss
    return {digits, f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}-{digits[6:9]}.{digits[9:]}"}


def test_nothing_sensitive_reaches_the_logs(client, db_session, logs, capfd, make_voucher, offer, coach, slot,
                                            provider_admin, today, smtp_server):
    secrets_seen: set[str] = set()

    # A beneficiary registers through the API, then mistypes the password, then logs in.
    beneficiary_niss = new_niss()
    password = "Vert-Galop-Prairie-42"
    registered = client.post("/api/v1/beneficiaries", json={
        "email": "lea.peeters@example.be", "password": password, "first_name": "Léa", "last_name": "Peeters",
        "niss": beneficiary_niss, "language": "nl"})
    assert registered.status_code == 201, registered.get_json()
    secrets_seen |= _forms_of(beneficiary_niss) | {password}
    assert confirm_address(client.application.test_client(), smtp_server, "lea.peeters@example.be").status_code \
        == 302
    assert client.post("/api/v1/auth/token", json={"email": "lea.peeters@example.be",
                                                   "password": password + "x"}).status_code == 401
    secrets_seen.add(password + "x")

    # A registration refused for a wrong national number, and one for a number already taken.
    wrong_niss = beneficiary_niss[:-2] + f"{(int(beneficiary_niss[-2:]) + 1) % 100:02d}"
    refused = client.post("/api/v1/beneficiaries", json={
        "email": "other@example.be", "password": password, "first_name": "A", "last_name": "B",
        "niss": wrong_niss, "language": "fr"})
    assert refused.status_code == 422
    taken = client.post("/api/v1/beneficiaries", json={
        "email": "third@example.be", "password": password, "first_name": "A", "last_name": "B",
        "niss": beneficiary_niss, "language": "fr"})
    assert taken.status_code == 201  # a typed number is not unique: someone else's typing never turns its owner away
    secrets_seen |= _forms_of(wrong_niss)

    # An employer declares a worker, twice (the second is refused).
    employer = make_employer(db_session)
    clerk = make_user(db_session, Role.EMPLOYER, employer_id=employer.id)
    employer_headers = bearer(client, clerk.email)
    secrets_seen.add(employer_headers["Authorization"].removeprefix("Bearer "))
    worker_niss = new_niss()
    declaration = {"worker_first_name": "Jan", "worker_last_name": "Claes", "worker_niss": worker_niss,
                   "contract_end_on": (today - timedelta(days=10)).isoformat()}
    assert client.post("/api/v1/dismissals", headers=employer_headers, json=declaration).status_code == 201
    assert client.post("/api/v1/dismissals", headers=employer_headers, json=declaration).status_code == 409
    secrets_seen |= _forms_of(worker_niss)

    # A coaching session is logged with a sensitive note, and the beneficiary disputes it.
    voucher, person = make_voucher()
    staff_headers = bearer(client, provider_admin.email)
    secrets_seen.add(staff_headers["Authorization"].removeprefix("Bearer "))
    assert client.post(f"/api/v1/provider/vouchers/{voucher.id}/accept", headers=staff_headers,
                       json={"offer_id": offer.id}).status_code == 200
    booked = client.post("/api/v1/sessions", headers=staff_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": slot().isoformat(),
        "duration_minutes": 60, "mode": "online", "location": "https://meet.example.be/abc"})
    assert booked.status_code == 201, booked.get_json()
    session_id = booked.get_json()["id"]
    note = "Talked about the relapse of her depression and the new medication"
    assert client.post(f"/api/v1/sessions/{session_id}/log", headers=staff_headers, json={
        "attendance": {str(voucher.id): "attended"}, "duration_minutes": 60, "note": note}).status_code == 200
    # A second, refused log of the same session (an illegal transition is logged as a domain error).
    client.post(f"/api/v1/sessions/{session_id}/log", headers=staff_headers, json={
        "attendance": {str(voucher.id): "attended"}, "duration_minutes": 60, "note": note})
    reason = "I was in hospital for my back surgery that day"
    beneficiary_headers = bearer(client, person.email)
    assert client.post(f"/api/v1/sessions/{session_id}/dispute", headers=beneficiary_headers,
                       json={"reason": reason}).status_code == 200
    secrets_seen |= {note, reason, PASSWORD, beneficiary_headers["Authorization"].removeprefix("Bearer ")}

    # The app did log something (the collector works), and none of it is sensitive.
    printed = capfd.readouterr()
    everything = "\n".join(logs.lines) + "\n" + printed.out + "\n" + printed.err
    assert any("domain error" in line for line in logs.lines), "the log collector saw nothing"
    leaked = sorted(secret for secret in secrets_seen if secret in everything)
    assert not leaked, f"sensitive values in the logs: {leaked}\n{everything}"
