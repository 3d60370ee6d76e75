"""Helpers for who a beneficiary is: a NISS proven as a sign-in through FAS would leave it, and the confirmation of
a registered address through the link e-mailed to it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.clock import utcnow
from tests.support.smtp import SMTPServer

CONFIRM_LINK = re.compile(r"https?://\S+/confirm/\S+")


def prove_niss(session: Session, user, niss: str | None = None):  # type: ignore[no-untyped-def]
    """Mark the beneficiary's NISS (or ``niss``) proven, as the federal service's sign-in does
    (vouchers/requests/services/identity.py does it for real; tests/vouchers/test_identity.py tests that)."""
    from vouchers.requests.models import Beneficiary

    beneficiary = session.scalars(select(Beneficiary).where(Beneficiary.user_id == user.id)).one()
    if niss is not None:
        beneficiary.niss = niss
    beneficiary.niss_proven_at = utcnow()
    session.flush()
    return beneficiary


def confirmation_path(smtp_server: SMTPServer, email: str) -> str:
    """The path of the link that confirms ``email`` (in the e-mail a registration sends)."""
    return urlsplit(smtp_server.wait_for_link(email, CONFIRM_LINK)).path


def confirm_address(client: FlaskClient, smtp_server: SMTPServer, email: str, **kwargs):  # type: ignore[no-untyped-def]
    """Open the link a registration e-mailed to ``email``: the address is confirmed."""
    return client.get(confirmation_path(smtp_server, email), **kwargs)
