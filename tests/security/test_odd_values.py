"""Issue #19: odd values in links answer like any wrong value, never 500. A non-ASCII calendar token is a wrong
token (404); an id past the database's 32-bit range, or digits Python will not read as a number ("²"), are a 422
on the API and a form error on the pages (PostgreSQL refuses to compare an integer column with 3000000000).
Run with DATABASE_URL set to check it on PostgreSQL.
"""

from __future__ import annotations

import pytest

from portal.permissions import Role
from tests.support.factories import make_user, new_niss
from tests.support.web import bearer, login, post_form

TOO_BIG = "3000000000"
SUPERSCRIPT_TWO = "%C2%B2"  # "²": str.isdigit() says yes, int() says no


@pytest.mark.parametrize("token", ["%C3%A9", "%E2%82%AC" * 10, "abc", ""])
def test_a_calendar_token_with_any_characters_is_a_wrong_token(client, db_session, coach, token):
    response = client.get(f"/api/v1/coaches/{coach.id}/calendar.ics?token={token}")
    assert response.status_code == 404
    assert client.get(f"/api/v1/coaches/{coach.id}/calendar.ics?token={coach.calendar_token}").status_code == 200


@pytest.fixture
def fund_headers(client, fund_admin) -> dict[str, str]:
    return bearer(client, fund_admin.email)


@pytest.fixture
def employer_headers(client, db_session) -> dict[str, str]:
    return bearer(client, make_user(db_session, Role.EMPLOYER, language="en").email)


@pytest.mark.parametrize("query", [f"object_id={TOO_BIG}", f"actor_id={TOO_BIG}", "object_id=0",
                                   f"object_id={SUPERSCRIPT_TWO}", "actor_id=-1"])
def test_the_audit_api_refuses_ids_out_of_range(client, fund_headers, query):
    response = client.get(f"/api/v1/admin/audit?{query}", headers=fund_headers)
    assert response.status_code == 422, response.get_json()
    assert query.split("=")[0] in response.get_json()["error"]["fields"]


def test_the_audit_api_still_filters_by_id(client, fund_headers, fund_admin):
    response = client.get(f"/api/v1/admin/audit?object_id=1&actor_id={fund_admin.id}", headers=fund_headers)
    assert response.status_code == 200


@pytest.mark.parametrize(("query", "status", "says"), [
    (f"object_id={TOO_BIG}", 422, "Number must be between 1 and 2147483647"),
    (f"person={TOO_BIG}", 422, "No account has this number."),
    (f"person={SUPERSCRIPT_TWO}", 422, "No account has this e-mail address."),
    (f"before={TOO_BIG}", 200, "Audit"),  # a page link past every id: the first page
])
def test_the_audit_page_answers_out_of_range_ids(client, fund_admin, query, status, says):
    login(client, fund_admin.email)
    response = client.get(f"/admin/fund/audit?{query}", headers={"Accept-Language": "en"})
    assert response.status_code == status
    assert says in response.get_data(as_text=True)


@pytest.mark.parametrize("query", [f"employer_id={TOO_BIG}", "employer_id=0"])
def test_the_dismissal_list_refuses_ids_out_of_range(client, employer_headers, query):
    response = client.get(f"/api/v1/dismissals?{query}", headers=employer_headers)
    assert response.status_code == 422
    assert "employer_id" in response.get_json()["error"]["fields"]


def test_a_dismissal_for_an_employer_out_of_range_is_422(client, employer_headers, today):
    response = client.post("/api/v1/dismissals", headers=employer_headers, json={
        "worker_first_name": "Amélie", "worker_last_name": "Peeters", "worker_niss": new_niss(),
        "contract_end_on": today.isoformat(), "employer_id": int(TOO_BIG)})
    assert response.status_code == 422
    assert "employer_id" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("employer_id", [TOO_BIG, SUPERSCRIPT_TWO, "0", "-1", "1.5"])
def test_the_csv_import_refuses_employer_ids_out_of_range(client, employer_headers, employer_id):
    response = client.post(f"/api/v1/dismissals/import?employer_id={employer_id}", data=b"a;b\n",
                           headers={**employer_headers, "Content-Type": "text/csv"})
    assert response.status_code == 422
    assert "employer_id" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(("query", "status"), [("statement_id=3", 200), (f"statement_id={TOO_BIG}", 422),
                                               (f"statement_id={SUPERSCRIPT_TWO}", 422)])
def test_the_bank_lines_filter_by_statement(client, fund_headers, query, status):
    assert client.get(f"/api/v1/admin/bank-lines?{query}", headers=fund_headers).status_code == status


def test_a_coach_out_of_range_is_not_found(client, provider_admin, coach):
    login(client, provider_admin.email)
    assert client.get(f"/coach/week?coach_id={TOO_BIG}").status_code == 404
    assert client.get(f"/coach/week?coach_id={coach.id}").status_code == 200


def test_a_booking_form_with_odd_voucher_ids_is_refused_as_a_form(client, provider_admin, coach, slot):
    login(client, provider_admin.email)
    starts = slot()
    response = post_form(client, "/coach/sessions", {
        "coach_id": str(coach.id), "kind": "individual", "voucher_ids": ["²", TOO_BIG],
        "day": starts.date().isoformat(), "start_time": "09:00", "duration_minutes": "60", "mode": "onsite"},
        token_from="/coach/week")
    assert response.status_code == 422
