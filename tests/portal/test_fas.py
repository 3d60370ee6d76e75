"""Sign-in with itsme or eID (portal/auth/fas.py) against a real OpenID Connect provider started here
(tests/support/oidc.py: oidc-provider-mock, with PKCE checked): the code flow with PKCE, state and nonce, the ID
token's signature checked against the provider's JWKS, and what a proven NISS opens (DOMAIN.md, "Identity")."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from portal.auth.fas import CLIENT_KEY, PENDING_KEY
from portal.auth.models import User
from portal.permissions import Role
from tests.support.factories import make_user, new_niss, unique
from tests.support.identity import confirmation_path
from tests.support.oidc import Provider, fas_settings, oidc_provider
from tests.support.web import login, post_form
from vouchers.requests.models import Beneficiary

EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with oidc_provider() as started:
        yield started


@pytest.fixture
def fas(app, provider) -> Iterator[Provider]:
    """The portal configured for the provider, for this test only (the app is shared by the whole run)."""
    settings = fas_settings(provider)
    saved = {name: app.config.get(name) for name in settings}
    app.config.update(settings)
    try:
        yield provider
    finally:
        app.config.update(saved)


def _person(provider: Provider, **names: str) -> tuple[str, str]:
    subject, niss = unique("person-"), new_niss()
    provider.add_person(subject, niss=niss, **names)
    return subject, niss


def _authorize_url(client) -> str:
    started = client.get("/login/fas")
    assert started.status_code == 302, started.get_data(as_text=True)
    return started.headers["Location"]


def _back(client, location: str, **kwargs):
    parts = urlsplit(location)
    return client.get(f"{parts.path}?{parts.query}", **kwargs)


def _sign_in(client, provider: Provider, subject: str, **kwargs):
    return _back(client, provider.sign_in(_authorize_url(client), subject), **kwargs)


def _beneficiary(db_session, user_id: int) -> Beneficiary:
    db_session.expire_all()
    return db_session.scalars(select(Beneficiary).where(Beneficiary.user_id == user_id)).one()


def test_the_authorization_request_carries_pkce_state_and_nonce(client, fas):
    query = parse_qs(urlsplit(_authorize_url(client)).query)
    assert query["response_type"] == ["code"] and query["client_id"] == ["tnw-portal"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert "openid" in query["scope"][0].split()
    assert query["redirect_uri"] == ["http://localhost/login/fas/callback"]


def test_a_first_sign_in_makes_a_proven_account_and_the_next_one_opens_it(app, client, db_session, fas, mailbox,
                                                                          smtp_server):
    subject, niss = _person(fas, given_name="Amélie", family_name="Peeters")
    answer = _sign_in(client, fas, subject)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login/fas/complete")
    page = client.get("/login/fas/complete", headers=EN).get_data(as_text=True)
    assert niss[-4:] in page and "Amélie Peeters" in page and "An account already uses this number" not in page

    made = post_form(client, "/login/fas/complete", {"email": "amelie@example.be", "language": "nl"}, headers=EN)
    assert made.status_code == 302, made.get_data(as_text=True)
    user = db_session.scalar(select(User).where(User.email == "amelie@example.be"))
    assert (user.role, user.first_name, user.last_name, user.language) == (Role.BENEFICIARY, "Amélie", "Peeters", "nl")
    beneficiary = _beneficiary(db_session, user.id)
    assert beneficiary.niss == niss and beneficiary.niss_proven_at is not None
    assert user.confirmed_at is None  # the address is confirmed by its own link, which was e-mailed
    assert client.get("/request/step/1").status_code == 200  # logged in, as a beneficiary
    # The service proved the number, not the address typed here: until its link is opened, the person's pages ask
    # for it (and the fund decides no request of theirs: tests/vouchers/test_registration.py).
    assert 'id="confirm-email"' in client.get("/my", headers=EN).get_data(as_text=True)
    assert client.get(confirmation_path(smtp_server, "amelie@example.be")).status_code == 302
    assert db_session.get(User, user.id).confirmed_at is not None
    assert 'id="confirm-email"' not in client.get("/my", headers=EN).get_data(as_text=True)

    again = app.test_client()
    opened = _sign_in(again, fas, subject)
    assert opened.status_code == 302 and urlsplit(opened.headers["Location"]).path == "/"
    with again.session_transaction() as session:
        assert session["_user_id"].startswith(f"{user.id}:") and PENDING_KEY not in session
    assert db_session.scalar(select(User.id).where(User.email.like("%amelie%")).where(User.id != user.id)) is None


def test_names_are_asked_only_when_the_provider_gave_none(client, db_session, fas):
    subject, niss = _person(fas)
    _sign_in(client, fas, subject)
    refused = post_form(client, "/login/fas/complete", {"email": "not-an-address", "language": "fr"}, headers=EN)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'name="first_name"' in page and 'value="not-an-address"' in page
    made = post_form(client, "/login/fas/complete", {"email": "jan@example.be", "language": "fr",
                                                     "first_name": "Jan", "last_name": "Claes"}, headers=EN)
    assert made.status_code == 302, made.get_data(as_text=True)
    user = db_session.scalar(select(User).where(User.email == "jan@example.be"))
    assert (user.first_name, user.last_name) == ("Jan", "Claes") and _beneficiary(db_session, user.id).niss == niss


def test_a_proven_number_takes_precedence_over_a_typed_one(app, client, db_session, fas):
    """Someone registered with this person's number by typing it. The person signs in with FAS: the complete page
    says so; they make their own account, which holds the number proven; the other account loses it and is told."""
    subject, niss = _person(fas, given_name="Léa", family_name="Dubois")
    impostor = make_user(db_session, Role.BENEFICIARY, language="en")
    _beneficiary(db_session, impostor.id).niss = niss
    db_session.flush()
    _sign_in(client, fas, subject)
    page = client.get("/login/fas/complete", headers=EN).get_data(as_text=True)
    assert "An account already uses this number" in page and impostor.email not in page
    assert post_form(client, "/login/fas/complete", {"email": "lea@example.be", "language": "fr"}).status_code == 302
    owner = db_session.scalar(select(User).where(User.email == "lea@example.be"))
    assert _beneficiary(db_session, owner.id).niss == niss
    assert _beneficiary(db_session, impostor.id).niss is None
    from tests.support.notices import told

    assert [n.kind for n in told(db_session, impostor, "niss_proven_elsewhere")] == ["niss_proven_elsewhere"]


def test_the_owner_of_a_typed_account_logs_in_to_add_the_proven_number_to_it(app, client, db_session, fas):
    subject, niss = _person(fas, given_name="Tom", family_name="Maes")
    mine = make_user(db_session, Role.BENEFICIARY, language="en")
    _beneficiary(db_session, mine.id).niss = niss
    db_session.flush()
    _sign_in(client, fas, subject)
    page = client.get("/login/fas/complete", headers=EN).get_data(as_text=True)
    assert "Log in to my account" in page and "/login?next=" in page and "fas" in page.split("/login?next=")[1][:40]
    logged_in = login(client, mine.email)
    assert logged_in.status_code == 302  # the identity proven a moment ago survives the login's new session
    linked = client.get("/login/fas/link", headers=EN)
    assert linked.status_code == 302 and urlsplit(linked.headers["Location"]).path == "/"
    proven = _beneficiary(db_session, mine.id)
    assert proven.niss == niss and proven.niss_proven_at is not None
    assert db_session.scalar(select(User.id).where(User.id != mine.id, User.first_name == "Tom",
                                                   User.last_name == "Maes")) is None  # no second account


def test_a_logged_in_beneficiary_proves_their_number(client, db_session, fas):
    """The prompt on their page; FAS gives another number than the one typed: the proven one replaces it."""
    person = make_user(db_session, Role.BENEFICIARY, language="en")
    typed = _beneficiary(db_session, person.id).niss
    login(client, person.email)
    assert "Prove your identity with itsme or eID" in client.get("/", headers=EN, follow_redirects=True).get_data(
        as_text=True)
    subject, niss = _person(fas)
    assert niss != typed
    done = _sign_in(client, fas, subject, headers=EN)
    assert done.status_code == 302
    proven = _beneficiary(db_session, person.id)
    assert proven.niss == niss and proven.niss_proven_at is not None
    assert "Prove your identity with itsme or eID" not in client.get("/", headers=EN, follow_redirects=True).get_data(
        as_text=True)


def test_a_number_proven_by_another_account_is_not_taken_from_it(client, db_session, fas):
    subject, niss = _person(fas)
    holder = make_user(db_session, Role.BENEFICIARY)
    _beneficiary(db_session, holder.id).niss = niss
    from tests.support.identity import prove_niss

    prove_niss(db_session, holder)
    other = make_user(db_session, Role.BENEFICIARY, language="en")
    login(client, other.email)
    refused = _sign_in(client, fas, subject, headers=EN, follow_redirects=True)
    assert "already proven by another account" in refused.get_data(as_text=True)
    assert _beneficiary(db_session, holder.id).niss == niss and _beneficiary(db_session, other.id).niss != niss


def test_a_wrong_state_signs_nobody_in(client, db_session, fas):
    subject, _ = _person(fas)
    back = fas.sign_in(_authorize_url(client), subject)
    forged = back.replace("state=", "state=x")
    answer = _back(client, forged, headers=EN)
    assert answer.status_code == 302 and urlsplit(answer.headers["Location"]).path == "/login"
    with client.session_transaction() as session:
        assert PENDING_KEY not in session and "_user_id" not in session


def test_an_id_token_not_signed_by_the_issuer_keys_is_refused(app, client, db_session, fas):
    """The portal checks the ID token against the issuer's JWKS: with another key under the same key id in its copy
    of the JWKS, the provider's real token no longer checks out, and nobody is signed in."""
    from joserfc.jwk import RSAKey

    subject, _ = _person(fas)
    authorize = _authorize_url(client)  # the portal has read the discovery document by now
    published = requests.get(f"{fas.url}/jwks", timeout=10).json()["keys"][0]
    impostor_key = RSAKey.generate_key(2048, parameters={"kid": published.get("kid"), "alg": "RS256", "use": "sig"})
    metadata = app.extensions[CLIENT_KEY][1].server_metadata
    metadata["jwks"] = {"keys": [impostor_key.as_dict(private=False)]}
    try:
        answer = _back(client, fas.sign_in(authorize, subject), headers=EN)
    finally:
        metadata.pop("jwks", None)
    assert answer.status_code == 302 and urlsplit(answer.headers["Location"]).path == "/login"
    with client.session_transaction() as session:
        assert PENDING_KEY not in session and "_user_id" not in session
    # With the issuer's own keys (fetched again), the same person gets through.
    assert urlsplit(_sign_in(client, fas, subject).headers["Location"]).path == "/login/fas/complete"


def test_a_code_redeemed_without_its_pkce_verifier_is_refused(client, fas):
    """The verifier stays in this browser's session; a code taken elsewhere cannot be redeemed with another one."""
    subject, _ = _person(fas)
    authorize = _authorize_url(client)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    with client.session_transaction() as session:
        key = next(k for k in session if k.startswith("_state_") and k.endswith(state))
        kept = dict(session[key])
        kept["data"] = {**kept["data"], "code_verifier": "another-verifier-" + "x" * 40}
        session[key] = kept
    refused_before = fas.pkce.refused
    answer = _back(client, fas.sign_in(authorize, subject))
    assert fas.pkce.refused == refused_before + 1
    assert urlsplit(answer.headers["Location"]).path == "/login"
    with client.session_transaction() as session:
        assert PENDING_KEY not in session and "_user_id" not in session


def test_a_refusal_at_the_provider_is_told(client, fas):
    authorize = _authorize_url(client)
    denied = requests.post(authorize, data={"action": "deny"}, allow_redirects=False, timeout=10)
    answer = _back(client, denied.headers["Location"], headers=EN, follow_redirects=True)
    assert "cancelled or refused" in answer.get_data(as_text=True)


def test_without_configuration_there_is_no_such_sign_in(client):
    assert client.get("/login/fas").status_code == 404
    assert client.get("/login/fas/callback?code=x&state=y").status_code == 404
    page = client.get("/login", headers=EN).get_data(as_text=True)
    assert "/login/fas" not in page and "itsme" not in page


def test_with_configuration_the_login_and_registration_pages_offer_it(client, fas):
    for path in ("/login", "/register"):
        page = client.get(path, headers=EN).get_data(as_text=True)
        assert 'href="/login/fas"' in page and "Sign in with itsme or eID" in page


def test_the_fas_page_answers_a_few_addresses_an_hour_only(app, client, db_session, fas, monkeypatch):
    """It tells whether an address has an account: every post counts against the sender's limit."""
    monkeypatch.setitem(app.config, "REGISTRATION_LIMIT_PER_IP", "10 per hour")
    taken = make_user(db_session, Role.BENEFICIARY)
    subject, _ = _person(fas, given_name="Eva", family_name="Janssens")
    _sign_in(client, fas, subject)
    first = post_form(client, "/login/fas/complete", {"email": taken.email, "language": "fr"}, headers=EN)
    assert first.status_code == 409 and "This address already has an account" in first.get_data(as_text=True)
    statuses = [post_form(client, "/login/fas/complete", {"email": taken.email, "language": "fr"}).status_code
                for _ in range(10)]
    assert statuses == [409] * 9 + [429]
