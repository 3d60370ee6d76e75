"""Defects found in review: the report redirect, cursors out of the database's range, amounts in the
report CSVs, and how the reconciliation's figures are documented."""

from __future__ import annotations

import base64
import csv
import io
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.permissions import Role
from tests.support.factories import make_user
from tests.support.web import bearer, login
from vouchers.ledger.services import report_tables as report_tables


def raw_cursor(text: str) -> str:
    """A cursor as a client could forge it: any JSON text, base64url-encoded."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# --- 1. the reconciliation report redirects with the period only ------------------------------


@pytest.fixture
def fund_admin_browser(client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN, language="en")
    login(client, admin.email)
    return client


@pytest.mark.parametrize("query", ["_method=DELETE", "endpoint=x", "_external=1", "_anchor=top", "_scheme=ftp",
                                   "figure=paid&after=3", "from_on=not-a-day&to_on=2026-01-31"])
def test_the_reconciliation_report_redirects_without_stray_parameters(fund_admin_browser, query):
    response = fund_admin_browser.get(f"/admin/fund/reports/reconciliation?{query}")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/admin/fund/reconciliation" and not location.netloc and not location.fragment
    assert set(parse_qs(location.query)) <= {"to_on"}
    if "to_on" in query:
        assert parse_qs(location.query) == {"to_on": ["2026-01-31"]}
    assert fund_admin_browser.get(response.headers["Location"]).status_code in (200, 422)


def test_the_reconciliation_report_keeps_the_period(fund_admin_browser):
    response = fund_admin_browser.get("/admin/fund/reports/reconciliation?from_on=2026-01-01&to_on=2026-01-31"
                                      "&_method=DELETE&x=1")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/admin/fund/reconciliation"
    assert parse_qs(location.query) == {"from_on": ["2026-01-01"], "to_on": ["2026-01-31"]}
    page = fund_admin_browser.get(response.headers["Location"])
    assert page.status_code == 200 and 'value="2026-01-31"' in page.get_data(as_text=True)


# --- 2. cursors out of the database's integer range are a 422 ---------------------------------

CURSOR_LISTS = [
    ("/api/v1/provider/disputes", Role.PROVIDER_ADMIN),
    ("/api/v1/admin/disputes", Role.FUND_ADMIN),
    ("/api/v1/employer/agents", Role.EMPLOYER),
    ("/api/v1/dismissals", Role.EMPLOYER),
    ("/api/v1/admin/voucher-requests", Role.FUND_ADMIN),
    ("/api/v1/admin/payout-batches", Role.FUND_ADMIN),
    ("/api/v1/admin/audit", Role.FUND_ADMIN),
    ("/api/v1/admin/bank-statements", Role.FUND_ADMIN),
    ("/api/v1/admin/bank-lines", Role.FUND_ADMIN),
    ("/api/v1/provider/claims", Role.PROVIDER_ADMIN),
    ("/api/v1/admin/claims", Role.FUND_ADMIN),
    ("/api/v1/admin/reconciliation/rows?figure=paid&from_on=2026-01-01&to_on=2026-01-31", Role.FUND_ADMIN),
]
# 2**31 is past the 32-bit ids, 2**63 past any integer column, 1e400 is an infinite float.
OUT_OF_RANGE = ["[2147483648]", "[9223372036854775808]", "[-9223372036854775809]", "[1e400]",
                "[100000000000000000000000000000]", '["99999999999999999999999"]']  # also a number as text


def _cursor_for(path: str, value: str) -> str:
    """The list's own cursor shape with ``value`` where the id goes."""
    if "voucher-requests" in path:
        return raw_cursor(f'["2026-01-01", {value[1:-1]}]')
    return raw_cursor(value)


@pytest.mark.parametrize("path,role", CURSOR_LISTS, ids=[p.split("?")[0] for p, _ in CURSOR_LISTS])
def test_an_out_of_range_cursor_is_a_422(client, db_session, path, role):
    user = make_user(db_session, role, language="en")
    headers = bearer(client, user.email)
    joiner = "&" if "?" in path else "?"
    for value in OUT_OF_RANGE:
        response = client.get(f"{path}{joiner}cursor={_cursor_for(path, value)}", headers=headers)
        assert response.status_code == 422, (value, response.get_data(as_text=True))
        error = response.get_json()["error"]
        assert error["code"] == "validation_failed" and "cursor" in error["fields"], (value, error)


@pytest.mark.parametrize("path", ["/api/v1/provider/disputes", "/api/v1/admin/disputes"])
def test_a_dispute_cursor_must_hold_an_id(client, db_session, path):
    user = make_user(db_session, Role.PROVIDER_ADMIN if "provider" in path else Role.FUND_ADMIN, language="en")
    headers = bearer(client, user.email)
    for value in ['["99999999999999999999999"]', '["12"]', "[1.5]", "[true]", "[null]", "[0]", "[-1]"]:
        response = client.get(f"{path}?cursor={raw_cursor(value)}", headers=headers)
        assert response.status_code == 422, (value, response.get_data(as_text=True))
        assert "cursor" in response.get_json()["error"]["fields"]
    largest = client.get(f"{path}?cursor={raw_cursor('[2147483647]')}", headers=headers)
    assert largest.status_code == 200 and largest.get_json() == {"items": [], "next_cursor": None}


def test_the_shared_cursor_helpers():
    from portal.errors import ValidationFailed
    from portal.pagination import decode_cursor, decode_id_cursor, encode_cursor

    assert decode_cursor(encode_cursor(["Zeta", 2**31 - 1]), 2) == ["Zeta", 2**31 - 1]
    assert decode_id_cursor(encode_cursor([7])) == 7 and decode_id_cursor(None) is None
    for bad in ["[2147483648]", "[-2147483649]", "[1e400]", "[NaN]", '["x", 9223372036854775808]']:
        size = 2 if bad.startswith('["x"') else 1
        with pytest.raises(ValidationFailed):
            decode_cursor(raw_cursor(bad), size)
    for bad in ["[0]", '["7"]', "[true]", "[7.0]", "[2147483648]"]:
        with pytest.raises(ValidationFailed):
            decode_id_cursor(raw_cursor(bad))


# --- 3. amounts in the CSVs are numbers, only text is defused ---------------------------------


def _csv(header, rows) -> list[list[str]]:
    return list(csv.reader(io.StringIO(report_tables.to_csv(header, rows))))


def test_negative_amounts_stay_numbers_in_the_csv():
    rows = _csv(["section", "figure", "count", "cents"], [["balance", "fund_balance", "", -500000],
                                                          ["cash", "other", "", -1]])
    assert rows[0] == ["section", "figure", "count", "cents", "euros"]
    assert rows[1] == ["balance", "fund_balance", "", "-500000", "-5000.00"]
    assert rows[2] == ["cash", "other", "", "-1", "-0.01"]


def test_text_cells_are_still_defused():
    rows = _csv(["provider_id", "provider", "claims_paid_cents"],
                [[1, "-5000.00", -97500], [2, "=HYPERLINK(\"http://x\")", 0], [3, "+32 2", 12], [4, "@SUM(A1)", 5]])
    assert [r[1] for r in rows[1:]] == ["'-5000.00", "'=HYPERLINK(\"http://x\")", "'+32 2", "'@SUM(A1)"]
    assert [r[2:] for r in rows[1:]] == [["-97500", "-975.00"], ["0", "0.00"], ["12", "0.12"], ["5", "0.05"]]


def test_the_reconciliation_csv_writes_a_negative_balance_as_a_number(client, db_session):
    from datetime import date

    from vouchers.ledger.services import entries as ledger

    # More promised to vouchers than the fund holds: the fund balance is negative.
    ledger.post(db_session, account="committed", kind="voucher_committed", amount_cents=10**12,
                booked_on=date(2026, 1, 15), memo="test: over-committed")
    admin = make_user(db_session, Role.FUND_ADMIN, language="en")
    response = client.get("/api/v1/admin/reports/reconciliation.csv?from_on=2026-01-01&to_on=2026-01-31",
                          headers=bearer(client, admin.email))
    assert response.status_code == 200
    lines = {(r["section"], r["figure"]): r for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}
    balance = lines[("balance", "fund_balance")]
    assert int(balance["cents"]) < 0 and not balance["euros"].startswith("'")
    assert balance["euros"] == f"{int(balance['cents']) / 100:.2f}"


# --- 4. when matches count, and when contribution states are judged ---------------------------


def test_the_reconciliation_says_which_figures_follow_late_matches(client):
    from vouchers.ledger.services import reconciliation

    doc = " ".join(reconciliation.__doc__.split())
    assert "matches known when the figures are computed" in doc and "last day" in doc
    spec = client.get("/api/v1/openapi.json").get_json()
    description = " ".join(spec["paths"]["/api/v1/admin/reconciliation"]["get"]["description"].split())
    assert "matches known when the figures are computed" in description
    assert "late manual match" in description and "as of the period's last day" in description
