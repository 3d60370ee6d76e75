"""A search adds no SQL statement to the fund's lists (issue 16, within issue 18's budgets: at most 5 for a page and
3 for an API call, on lists of 24 rows or more)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests import test_page_budgets as budgets
from tests.test_page_budgets import assert_api, assert_page

# The crowd and its people of the page budgets (module-scoped fixtures: built once for this module).
crowd_session, crowd, browsers, tokens = budgets.crowd_session, budgets.crowd, budgets.browsers, budgets.tokens


@pytest.mark.parametrize("query", ["?status=&q=invited", "?status=&q=Member%20Invited", "?q=holder",
                                   "?status=submitted&route=B&q=TNW-000001", "?status=&q=12",
                                   "?status=&q=85.07.30-033.28"])
def test_the_funds_queue_searched(app, crowd, browsers, query):
    page = assert_page(app, browsers["fund_admin"], f"/admin/requests{query}")
    if "invited" in query.lower():
        assert page.count("/admin/requests/") >= 24 and "Member Invited" in page


@pytest.mark.parametrize("query", ["?q=invited", "?q=holder&status=approved", "?q=TNW-000001", "?q=3"])
def test_the_funds_queue_api_searched(app, crowd, browsers, tokens, query):
    body = assert_api(app, browsers["fund_admin"], f"/api/v1/admin/voucher-requests{query}&limit=100",
                      tokens["fund_admin"])
    if query == "?q=invited":
        assert len(body["items"]) >= 24 and all("Invited" in item["beneficiary_name"] for item in body["items"])


@pytest.mark.parametrize("page_query, api_query", [
    ("?status=&q=holder", "?q=holder"), ("?status=&q=provider", "?q=provider"),
    ("?status=paid&q=TNW-000003", "?status=paid&q=TNW-000003"), ("?status=&q=0403.170.701", "?q=0403.170.701"),
    ("?status=&q=7", "?q=7")])
def test_the_funds_claims_searched(app, crowd, browsers, tokens, page_query, api_query):
    page = assert_page(app, browsers["fund_admin"], f"/admin/fund/claims{page_query}")
    body = assert_api(app, browsers["fund_admin"], f"/api/v1/admin/claims{api_query}&limit=100", tokens["fund_admin"])
    if api_query == "?q=holder":
        assert page.count("/admin/fund/claims/") >= 24 and len(body["items"]) >= 24


def test_a_new_name_is_not_a_new_statement(app, crowd, browsers):
    """Each word is a bind parameter: the queue's statement for a search of one word is built once, whatever the
    word (``portal.db.prepared``)."""
    from portal.db import _PREPARED

    client = browsers["fund_admin"]
    assert client.get("/admin/requests?status=&q=Dupont").status_code == 200
    known = len(_PREPARED)
    for typed in ("Martin", "ÉLODIE", "o'brien", "x%_y"):
        assert client.get(f"/admin/requests?status=&q={quote(typed)}").status_code == 200
    assert len(_PREPARED) == known
