"""Shared helpers for the coordinators' tests: a coordinator, a member's identity, filing, the invitation link."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from portal.mail import OutboxMessage
from tests.support.factories import new_niss, unique

LINK = re.compile(r"https?://[^\s/]+(/join/\S+)")
EN = {"Accept-Language": "en"}


def member(**overrides: Any) -> dict[str, Any]:
    identity = {"niss": new_niss(), "first_name": "Marie", "last_name": "Dupont",
                "email": f"{unique('member')}@example.be", "language": "nl"}
    identity.update(overrides)
    return identity


def filing_body(request_body, today, **overrides: Any) -> dict[str, Any]:
    body = {"beneficiary": member(), "consent_on": today.isoformat(), **request_body()}
    body.update(overrides)
    return body


def file(client, headers, body) -> dict[str, Any]:
    response = client.post("/api/v1/coordinator/requests", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def decide(client, headers, request_id, decision, reason=None, **extra):
    return client.post(f"/api/v1/admin/voucher-requests/{request_id}/decision", headers=headers,
                       json={"decision": decision, "reason": reason, **extra})


def mails_to(db_session, address: str) -> list[OutboxMessage]:
    return list(db_session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)
                                   .order_by(OutboxMessage.id)))


def join_link(db_session, address: str) -> str:
    """The path of the invitation link in the latest e-mail to ``address``."""
    body = mails_to(db_session, address)[-1].body
    match = LINK.search(body)
    assert match, body
    return match.group(1)
