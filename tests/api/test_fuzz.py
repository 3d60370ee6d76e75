"""A bounded schemathesis run against the app's own OpenAPI document: no 500s, and every
response matches the documented schema, for anonymous callers and for authenticated roles.

It runs on the database the suite runs on: SQLite by default, PostgreSQL when DATABASE_URL names one (CI's second
pass, .ci/run). SQLite stores a NUL byte and any integer, so only PostgreSQL shows what it refuses; the second run,
``test_hostile_values``, puts exactly that into every operation's input (issue #19): a NUL byte, or a lone surrogate
(which no driver can encode) in a JSON body, into one generated value, path, query or body, or into an extra query
parameter; or an integer past PostgreSQL's 32- and 64-bit columns. Text a database cannot store is refused with a
4xx by the one guard every request passes (portal/input_guard.py); nothing is ever a 5xx.
"""

from __future__ import annotations

import copy

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks

from portal.permissions import Role
from tests.support.factories import make_user
from tests.support.web import bearer

ROLES = [None, Role.BENEFICIARY, Role.PROVIDER_ADMIN, Role.COACH, Role.EMPLOYER, Role.FUND_ADMIN]
EXAMPLES_PER_OPERATION = 5
# Schema-valid data may still break a business rule (a NISS checksum, eligibility): a 422 then is right,
# so "positive data acceptance" is not among the checks.
CHECKS = [checks.not_a_server_error, checks.response_schema_conformance, checks.content_type_conformance,
          checks.status_code_conformance]


@pytest.fixture(scope="module")
def operations(app):
    """Every operation of the document with its case strategy, loaded once for both tests and all six roles.

    Loading the document and building (then validating, at the first draw) ~110 strategies cost more than the
    requests themselves when each test did it again. Sharing them changes no case: a strategy holds no state
    between draws, and each run is derandomized (its seed comes from the test function's source), so every role
    gets the same examples as with strategies of its own. Which operations are left out is decided by the tests.
    """
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [(operation, operation.as_strategy()) for operation in (r.ok() for r in schema.get_all_operations())]


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value if role else "anonymous")
def test_api_contract(client, db_session, operations, role):
    headers = {}
    if role is not None:
        headers = bearer(client, make_user(db_session, role).email)
    assert len(operations) > 20
    failures = []
    for operation, strategy in operations:
        if operation.path.endswith("/auth/logout"):
            continue  # it would revoke the token the other operations use
        if operation.path.endswith("/webhooks/stripe"):
            continue  # only signed Stripe payloads get in: tests/employers covers it with signed replays
        try:
            _fuzz(strategy, headers)
        except Exception as error:  # noqa: BLE001 - collected so one run reports every operation
            failures.append(f"{operation.method.upper()} {operation.path}: {str(error)[:600]}")
    assert not failures, "\n\n".join(failures)


def _fuzz(strategy, headers: dict[str, str]) -> None:
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data):
        case = data.draw(strategy)
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


NUL = "\x00"
SURROGATE = "\ud800"
#: Past PostgreSQL's integer (32-bit) and bigint (64-bit) columns, below and above.
HUGE_NUMBERS = (2**31, 2**63, -(2**63) - 1, 10**30)
HOSTILE_EXAMPLES_PER_OPERATION = 2
HOSTILE_CHECKS = [checks.not_a_server_error]


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value if role else "anonymous")
def test_hostile_values(client, db_session, operations, role):
    headers = {}
    if role is not None:
        headers = bearer(client, make_user(db_session, role).email)
    failures = []
    for operation, strategy in operations:
        if operation.path.endswith(("/auth/logout", "/webhooks/stripe")):
            continue  # as above
        try:
            _fuzz_hostile(strategy, headers)
        except Exception as error:  # noqa: BLE001 - collected so one run reports every operation
            failures.append(f"{operation.method.upper()} {operation.path}: {str(error)[:600]}")
    assert not failures, "\n\n".join(failures)


def _slots(case) -> list[tuple[str, object, object]]:
    """Every value the case sends that can be replaced: (where, its container, its key)."""
    # The poison goes into copies: a drawn value may be an object the strategy hands out again (an example or a
    # constant of the document), which must reach the next case, or the next role, as the document has it.
    case.query = copy.deepcopy(case.query)
    case.path_parameters = copy.deepcopy(case.path_parameters)
    if isinstance(getattr(case, "body", None), dict | list):
        case.body = copy.deepcopy(case.body)
    slots: list[tuple[str, object, object]] = [("query", case.query or {}, name) for name in case.query or {}]
    slots += [("path", case.path_parameters, name) for name in case.path_parameters or {}]
    body = getattr(case, "body", None)
    where = "json" if "json" in (case.media_type or "") else "form"
    stack = [body] if isinstance(body, dict | list) else []
    while stack:
        container = stack.pop()
        keys = container if isinstance(container, dict) else range(len(container))
        for key in list(keys):
            value = container[key]
            if isinstance(value, dict | list):
                stack.append(value)
            else:
                slots.append((where, container, key))
    return slots


def _poison(case, data) -> bool:
    """Put one value PostgreSQL refuses into the case. Returns whether it is text no database stores (the guard
    must refuse it: a 4xx), rather than a number out of range (anything but a 5xx)."""
    slots = _slots(case)
    where, container, key = data.draw(st.sampled_from([*slots, ("extra", None, "hostile")]), label="where")
    kind = data.draw(st.sampled_from(["text", "number"]), label="kind")
    if kind == "number":
        value: object = data.draw(st.sampled_from(HUGE_NUMBERS), label="number")
        if where in ("query", "path", "extra"):
            value = str(value)
    else:
        bad = data.draw(st.sampled_from([NUL, SURROGATE] if where == "json" else [NUL]), label="character")
        old = container[key] if container is not None else ""
        text = old.decode("latin-1") if isinstance(old, bytes) else "" if old is None else str(old)
        cut = data.draw(st.integers(0, len(text)), label="at")
        value = text[:cut] + bad + text[cut:]
    if where == "extra":
        case.query = {**(case.query or {}), key: value}
    elif where == "query":
        case.query = {**case.query, key: value}
    else:
        container[key] = value  # type: ignore[index]
    # The guard reads paths, query strings and JSON bodies; a form's file contents are left to their readers.
    return kind == "text" and where != "form"


def _fuzz_hostile(strategy, headers: dict[str, str]) -> None:
    @settings(max_examples=HOSTILE_EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data):
        case = data.draw(strategy)
        refused = _poison(case, data)
        response = case.call(headers=headers)
        case.validate_response(response, checks=HOSTILE_CHECKS)
        if refused:
            assert 400 <= response.status_code < 500, (
                f"{case.method} {case.formatted_path} {case.query!r}: a NUL byte or a lone surrogate got "
                f"{response.status_code}")

    run()
