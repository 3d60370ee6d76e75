"""The fund administrators' HTML pages: the decision queue and the decision page."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.clock import utcnow
from portal.permissions import Role
from tests.support.factories import make_user
from tests.support.web import csrf_token, login, post_form
from vouchers.requests.models import Voucher, VoucherRequest
from vouchers.requests.services.requests import RequestData, submit_voucher_request

ROW_LINK = re.compile(r'href="/admin/requests/(\d+)"')


@pytest.fixture
def submit(db_session, provider, today):
    """A submitted request from a new beneficiary, optionally made as if submitted some days ago."""

    def make(name: str, *, days_ago: int = 0, route: str = "A", initiative: str = "coordinator") -> VoucherRequest:
        person = make_user(db_session, Role.BENEFICIARY, language="en")
        person.first_name, person.last_name = name, "Tester"
        facts = ({"force_majeure": True, "contract_end_on": today - timedelta(days=20)} if route == "A" else
                 {"force_majeure": False, "benefits_scheme": "employee",
                  "incapacity_start_on": today - timedelta(days=800)})
        data = RequestData(provider_id=provider.id, insurer_code=300, initiative=initiative, **facts,
                           address={"street": "Rue Haute", "number": "12", "postcode": "1000",
                                    "municipality": "Bruxelles", "country": "BE"})
        request = submit_voucher_request(db_session, person, data, today=today, now=utcnow())
        if days_ago:
            request.submitted_on = today - timedelta(days=days_ago)
            request.decision_due_on = request.submitted_on + timedelta(days=45)
        db_session.commit()  # as if submitted earlier: a view's rollback must not undo it (only a savepoint)
        return request

    return make


@pytest.fixture
def admin_client(client, admin):
    assert login(client, admin.email).status_code == 302
    return client


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def row_ids(response) -> list[int]:
    return [int(i) for i in ROW_LINK.findall(response.get_data(as_text=True))]


def count(text: str, name: str) -> int:
    match = re.search(rf'id="count-{name}".*?<dd>(\d+)</dd>', text, re.DOTALL)
    assert match, f"no count {name}"
    return int(match.group(1))


def decide(client, request_id: int, data: dict[str, str]):
    return post_form(client, f"/admin/requests/{request_id}/decision", data, token_from=f"/admin/requests/{request_id}")


# --- the queue ----------------------------------------------------------------


def test_queue_lists_submitted_requests_soonest_due_first_with_badges_and_counts(admin_client, submit, admin):
    fresh = submit("Fresh")
    overdue = submit("Late", days_ago=50)
    soon = submit("Soon", days_ago=38)
    decided = submit("Decided")
    assert decide(admin_client, decided.id, {"decision": "approve"}).status_code == 302

    response = admin_client.get("/admin/requests")
    assert response.status_code == 200
    text = page(response)
    assert row_ids(response) == [overdue.id, soon.id, fresh.id]
    assert "Late Tester" in text and "Decided Tester" not in text
    assert re.search(r'badge--overdue">Overdue</span>\s*5 days late', text)
    assert re.search(r'badge--due-soon">Due soon</span>\s*7 days left', text)
    assert re.search(r'badge--on-time">On time</span>\s*45 days left', text)
    assert (count(text, "submitted"), count(text, "due-soon"), count(text, "overdue"), count(text, "waitlisted")) == (
        3, 1, 1, 0)
    assert "<caption>" in text and '<th scope="col">' in text


def test_filters_by_route_overdue_due_date_and_status(admin_client, submit):
    route_a = submit("Alpha", days_ago=10)
    route_b = submit("Bravo", route="B", days_ago=20)
    late = submit("Charlie", days_ago=47)
    decided = submit("Delta")
    decide(admin_client, decided.id, {"decision": "reject", "reason": "Not a force majeure end"})

    assert row_ids(admin_client.get("/admin/requests?status=submitted&route=B")) == [route_b.id]
    assert row_ids(admin_client.get("/admin/requests?status=submitted&overdue=y")) == [late.id]
    due_before = (route_b.decision_due_on + timedelta(days=1)).isoformat()
    assert row_ids(admin_client.get(f"/admin/requests?status=submitted&due_before={due_before}")) == [late.id,
                                                                                                     route_b.id]
    assert row_ids(admin_client.get("/admin/requests?status=rejected")) == [decided.id]
    everything = row_ids(admin_client.get("/admin/requests?status="))
    assert set(everything) == {route_a.id, route_b.id, late.id, decided.id}
    filtered = page(admin_client.get("/admin/requests?status=submitted&route=B"))
    assert re.search(r'<option selected value="B">|<option value="B" selected>', filtered)


def test_next_page_keeps_the_filters(admin_client, submit, app, monkeypatch):
    monkeypatch.setitem(app.config, "ADMIN_QUEUE_PAGE_SIZE", 2)
    first, second, third = submit("One", days_ago=30), submit("Two", days_ago=20), submit("Three", days_ago=10)
    submit("Other route", route="B", days_ago=25)

    response = admin_client.get("/admin/requests?status=submitted&route=A")
    assert row_ids(response) == [first.id, second.id]
    match = re.search(r'<a href="([^"]+)" rel="next">Next page</a>', response.get_data(as_text=True))
    assert match, "no next page link"
    next_url = html.unescape(match.group(1))
    assert "route=A" in next_url and "status=submitted" in next_url and "cursor=" in next_url

    last = admin_client.get(next_url)
    assert row_ids(last) == [third.id]
    assert 'rel="next"' not in last.get_data(as_text=True)
    assert "First page" in page(last)


@pytest.mark.parametrize("query, message", [
    ("due_before=notadate", "Enter a date as YYYY-MM-DD"),
    ("status=bogus", "Choose one of the statuses in the list."),
    ("route=Z", "Choose route A, route B or any route."),
    ("cursor=%%%not-a-cursor", "This page link is not valid any more."),
    ("cursor=WyJub3QtYS1kYXRlIiwgMV0", "This page link is not valid any more."),
])
def test_bad_filter_input_shows_a_message_not_an_error_page(admin_client, submit, query, message):
    submit("Anyone")
    response = admin_client.get(f"/admin/requests?{query}")
    assert response.status_code == 200
    text = page(response)
    assert message in text and "Please check the form" in text
    assert "No request is shown because the filters above could not be used." in text
    assert row_ids(response) == []


def test_a_beneficiary_gets_403_and_anonymous_is_sent_to_login(client, db_session, submit):
    request = submit("Private")
    for path in ("/admin/requests", f"/admin/requests/{request.id}"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    person = make_user(db_session, Role.BENEFICIARY, language="en")
    login(client, person.email)
    assert client.get("/admin/requests").status_code == 403
    assert client.get(f"/admin/requests/{request.id}").status_code == 403
    token = csrf_token(client, "/account/password")
    assert client.post(f"/admin/requests/{request.id}/decision",
                       data={"csrf_token": token, "decision": "approve"}).status_code == 403
    assert db_session.get(VoucherRequest, request.id).status == "submitted"


def test_missing_request_and_drafts_are_404(admin_client, db_session, provider):
    from vouchers.requests.services.requests import save_draft

    person = make_user(db_session, Role.BENEFICIARY, language="en")
    draft = save_draft(db_session, person, RequestData(provider_id=provider.id), step=1, now=utcnow())
    assert admin_client.get("/admin/requests/987654").status_code == 404
    assert admin_client.get(f"/admin/requests/{draft.id}").status_code == 404
    response = admin_client.post(f"/admin/requests/{draft.id}/decision",
                                 data={"csrf_token": csrf_token(admin_client, "/admin/requests"), "decision": "approve"})
    assert response.status_code == 404


# --- the request page and its decision -----------------------------------------


def test_request_page_shows_facts_clock_timeline_and_the_form(admin_client, submit, provider):
    request = submit("Facts", days_ago=36, initiative="own")
    text = page(admin_client.get(f"/admin/requests/{request.id}"))
    assert "Facts Tester" in text and provider.name in text and "Solidaris" in text
    assert "Rue Haute 12" in text and "Own initiative" in text
    assert "day 36 of 45" in text and 'badge--due-soon">Due soon' in text
    assert "Waiting for a decision" in text  # the timeline: draft -> submitted
    assert "appeal to the labour court within 3 months" in text
    assert 'name="medical_check_ok"' in text and "<legend>Decision</legend>" in text
    coordinator = submit("Plan")
    assert 'name="medical_check_ok"' not in page(admin_client.get(f"/admin/requests/{coordinator.id}"))


def test_approval_issues_a_voucher_and_flashes_its_code(admin_client, db_session, submit):
    request = submit("Approved")
    response = decide(admin_client, request.id, {"decision": "approve"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/requests/{request.id}")
    voucher = db_session.scalar(select(Voucher).where(Voucher.request_id == request.id))
    assert voucher is not None and voucher.status == "approved"
    text = page(admin_client.get(f"/admin/requests/{request.id}"))
    assert f"Approved. Voucher {voucher.code} is issued." in text
    assert 'name="decision"' not in text  # decided: no form any more


def test_rejecting_without_a_reason_is_422_and_keeps_the_input(admin_client, db_session, submit):
    request = submit("Own", initiative="own")
    response = decide(admin_client, request.id, {"decision": "reject", "reason": "  ", "medical_check_ok": "yes"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert re.search(r'<p class="field__error" id="reason-error">Please give the reason.</p>', text)
    assert re.search(r'<input[^>]*checked[^>]*value="reject"|<input[^>]*value="reject"[^>]*checked', text)
    assert re.search(r'<input[^>]*checked[^>]*value="yes"|<input[^>]*value="yes"[^>]*checked', text)
    db_session.expire_all()
    assert db_session.get(VoucherRequest, request.id).status == "submitted"


def test_a_missing_decision_keeps_the_typed_reason(admin_client, db_session, submit):
    request = submit("Typed")
    response = decide(admin_client, request.id, {"reason": "Please send the C4 form"})
    assert response.status_code == 422
    text = page(response)
    assert "Choose approve, reject or request information." in text
    assert re.search(r'<textarea[^>]*name="reason"[^>]*>\s*Please send the C4 form</textarea>', text)


def test_a_second_decision_shows_the_conflict_and_changes_nothing(admin_client, db_session, submit):
    request = submit("Twice")
    assert decide(admin_client, request.id, {"decision": "approve"}).status_code == 302
    changes = select(func.count()).select_from(AuditEntry).where(AuditEntry.action != "viewed")  # reads are logged
    audit_rows = db_session.scalar(changes)
    response = decide(admin_client, request.id, {"decision": "reject", "reason": "Changed my mind"})
    assert response.status_code == 302
    text = page(admin_client.get(response.headers["Location"]))
    assert "This request was already decided or is not ready for a decision." in text
    db_session.expire_all()
    assert db_session.get(VoucherRequest, request.id).status == "approved"
    assert db_session.scalar(select(func.count()).select_from(Voucher).where(Voucher.request_id == request.id)) == 1
    assert db_session.scalar(changes) == audit_rows


def test_request_info_pauses_the_clock(admin_client, db_session, submit):
    request = submit("Paused")
    response = decide(admin_client, request.id, {"decision": "request_info", "reason": "Send the C4 form"})
    assert response.status_code == 302
    text = page(admin_client.get(response.headers["Location"]))
    assert "Information asked. The 45-day clock stops" in text and 'badge--paused">Paused' in text
    assert db_session.get(VoucherRequest, request.id).status == "info_requested"


def test_route_b_without_money_goes_to_the_waiting_list(admin_client, db_session, submit):
    first, second = submit("Wait one", route="B", days_ago=3), submit("Wait two", route="B", days_ago=1)
    decide(admin_client, first.id, {"decision": "approve"})
    response = decide(admin_client, second.id, {"decision": "approve"})
    text = page(admin_client.get(response.headers["Location"]))
    assert "Approved onto the waiting list" in text
    assert re.search(r'id="waiting-list-position">2<', text)
    assert count(page(admin_client.get("/admin/requests")), "waitlisted") == 2


def test_failed_medical_check_blocks_the_approval(admin_client, db_session, submit):
    request = submit("Medical", initiative="own")
    response = decide(admin_client, request.id, {"decision": "approve", "medical_check_ok": "no"})
    assert response.status_code == 302
    text = page(admin_client.get(response.headers["Location"]))
    assert "The medical compatibility check was not passed" in text
    db_session.expire_all()
    unchanged = db_session.get(VoucherRequest, request.id)
    assert unchanged.status == "submitted" and unchanged.medical_check_ok is None
    assert db_session.scalar(select(Voucher.id).where(Voucher.request_id == request.id)) is None


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
def test_pages_render_in_every_language(client, db_session, submit, language):
    admin = make_user(db_session, Role.FUND_ADMIN, language=language)
    login(client, admin.email)
    request = submit("Multi", days_ago=40, initiative="own")
    queue = client.get("/admin/requests")
    assert queue.status_code == 200 and f'<html lang="{language}">' in queue.get_data(as_text=True)
    assert row_ids(queue) == [request.id]
    assert client.get(f"/admin/requests/{request.id}").status_code == 200


# --- reads of a person's file are logged ----------------------------------------------------------


def test_the_fund_reading_a_file_is_logged_but_the_person_reading_their_own_is_not(app, admin_client, db_session,
                                                                                  submit, admin):
    from tests.support.web import bearer

    request = submit("Reading")
    views = select(func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "voucher_request", AuditEntry.object_id == request.id,
        AuditEntry.action == "viewed", AuditEntry.actor_id == admin.id)
    assert admin_client.get(f"/admin/requests/{request.id}").status_code == 200
    assert db_session.scalar(views) == 1
    admin_headers = bearer(app.test_client(), admin.email)
    assert admin_client.get(f"/api/v1/voucher-requests/{request.id}", headers=admin_headers).status_code == 200
    assert db_session.scalar(views) == 2
    person = request.beneficiary.user
    own_headers = bearer(app.test_client(), person.email)
    assert admin_client.get(f"/api/v1/voucher-requests/{request.id}", headers=own_headers).status_code == 200
    own_reads = select(func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "voucher_request", AuditEntry.action == "viewed", AuditEntry.actor_id == person.id)
    assert db_session.scalar(own_reads) == 0
