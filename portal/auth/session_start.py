"""A new session id whenever someone becomes signed in: by password, by itsme/eID, or by creating their account
(registration, an agent's or a member's invitation). Signing in on an id someone planted beforehand would let them
share the session (fixation); a new id makes a planted one worthless."""

from __future__ import annotations

from typing import Any

from flask import current_app, session
from flask_login import login_user

from portal.clock import utcnow

#: What survives the new id: the visitor's language, an identity just proven with itsme or eID (the person signs in
#: to add it to their account), and the messages to show on the next page.
KEPT = ("lang", "fas_identity", "_flashes")


def fresh_session() -> None:
    kept = {key: session[key] for key in KEPT if key in session}
    session.clear()
    session.update(kept)
    # Emptying a server-side session keeps its id: a new id is what makes a planted one worthless. Flask-Session
    # regenerates only a session holding something, hence the moment of this step, first.
    session["started_at"] = utcnow().isoformat()
    regenerate = getattr(current_app.session_interface, "regenerate", None)
    if regenerate is not None:
        regenerate(session)


def sign_in_fresh(user: Any) -> None:
    """Sign ``user`` in on a new session id."""
    fresh_session()
    login_user(user)
