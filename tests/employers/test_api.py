"""The employer API: shapes and status codes (API.md)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from stdnum.be import ogm_vcs

from portal.audit import AuditEntry
from portal.permissions import Role
from tests.support.factories import make_user
from tests.support.web import bearer
from vouchers.employers.models import Declaration
from vouchers.employers.services import declarations as declaration_services


def declare(client, headers, body):
    return client.post("/api/v1/dismissals", json=body, headers=headers)


def test_declare_returns_the_contribution_and_deadlines(client, headers, dismissal_body, today):
    end = today - timedelta(days=10)
    response = declare(client, headers, dismissal_body(contract_end_on=end.isoformat()))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) >= {"id", "declared_on", "declaration_due_on", "contribution", "warnings"}
    assert body["declared_on"] == today.isoformat()
    assert body["declaration_due_on"] == (end + timedelta(days=45)).isoformat()
    contribution = body["contribution"]
    assert contribution["amount_cents"] == 180_000
    assert contribution["due_on"] == (end + timedelta(days=45)).isoformat()
    assert contribution["status"] == "due"
    reference = contribution["structured_reference"]
    assert reference.startswith("+++") and reference.endswith("+++")
    assert ogm_vcs.is_valid(reference)
    assert body["warnings"] == []


def test_a_late_declaration_and_an_early_end_are_accepted_with_warnings(client, headers, dismissal_body, today):
    end = today - timedelta(days=60)
    response = declare(client, headers, dismissal_body(contract_end_on=end.isoformat(),
                                                       physician_decision_on=(end - timedelta(days=5)).isoformat()))
    assert response.status_code == 201
    codes = [w["code"] for w in response.get_json()["warnings"]]
    assert codes == ["late_declaration", "physician_appeal_period"]
    assert all(w["message"] for w in response.get_json()["warnings"])


def test_declaring_twice_is_a_conflict(client, headers, dismissal_body):
    body = dismissal_body()
    assert declare(client, headers, body).status_code == 201
    again = declare(client, headers, body)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_declared"


def test_invalid_input_is_422_with_fields(client, headers, dismissal_body, today):
    response = declare(client, headers, dismissal_body(worker_niss="85.07.30-033.29"))
    assert response.status_code == 422
    assert "worker_niss" in response.get_json()["error"]["fields"]
    too_early = declare(client, headers, dismissal_body(contract_end_on="2024-03-31"))
    assert too_early.status_code == 422
    assert "contract_end_on" in too_early.get_json()["error"]["fields"]
    future = declare(client, headers, dismissal_body(contract_end_on=(today + timedelta(days=1)).isoformat()))
    assert future.status_code == 422
    missing = client.post("/api/v1/dismissals", json={"worker_first_name": "A"}, headers=headers)
    assert missing.status_code == 422
    assert {"worker_last_name", "worker_niss", "contract_end_on"} <= set(missing.get_json()["error"]["fields"])
    bad_date = declare(client, headers, dismissal_body(contract_end_on="31/12/2025"))
    assert bad_date.status_code == 422


def test_no_credentials_is_401_and_other_roles_403(client, db_session, dismissal_body):
    assert client.post("/api/v1/dismissals", json=dismissal_body()).status_code == 401
    assert client.get("/api/v1/dismissals").status_code == 401
    assert client.get("/api/v1/dismissals/1").status_code == 401
    beneficiary = make_user(db_session, Role.BENEFICIARY)
    other = bearer(client, beneficiary.email)
    response = client.post("/api/v1/dismissals", json=dismissal_body(), headers=other)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert client.get("/api/v1/dismissals", headers=other).status_code == 403


def test_someone_elses_declaration_is_404(client, headers, other_employer_user, dismissal_body, gateway):
    created = declare(client, headers, dismissal_body()).get_json()
    stranger = bearer(client, other_employer_user.email)
    for path in (f"/api/v1/dismissals/{created['id']}", f"/api/v1/dismissals/{created['id']}/letter.pdf",
                 f"/api/v1/dismissals/{created['id']}/receipt.pdf"):
        response = client.get(path, headers=stranger)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"
    assert client.post(f"/api/v1/dismissals/{created['id']}/payment-intent", headers=stranger).status_code == 404
    assert client.get("/api/v1/dismissals/999999", headers=headers).status_code == 404
    listed = client.get("/api/v1/dismissals", headers=stranger).get_json()
    assert listed == {"items": [], "next_cursor": None}


def test_get_one_declaration(client, headers, dismissal_body):
    created = declare(client, headers, dismissal_body()).get_json()
    body = client.get(f"/api/v1/dismissals/{created['id']}", headers=headers).get_json()
    assert body["id"] == created["id"]
    contribution = body["contribution"]
    assert set(contribution) >= {"amount_cents", "paid_cents", "due_on", "structured_reference", "status",
                                 "is_overdue"}
    assert contribution["paid_cents"] == 0 and contribution["is_overdue"] is False
    assert body["apply_by_on"] > body["contract_end_on"]


def test_list_newest_first_with_filters_and_cursor(client, headers, dismissal_body, today):
    ids = []
    for days in (5, 50, 20):
        ids.append(declare(client, headers, dismissal_body(
            contract_end_on=(today - timedelta(days=days)).isoformat())).get_json()["id"])
    page = client.get("/api/v1/dismissals?limit=2", headers=headers).get_json()
    assert [i["id"] for i in page["items"]] == sorted(ids, reverse=True)[:2]
    rest = client.get(f"/api/v1/dismissals?limit=2&cursor={page['next_cursor']}", headers=headers).get_json()
    assert [i["id"] for i in rest["items"]] == [min(ids)] and rest["next_cursor"] is None
    overdue = client.get("/api/v1/dismissals?overdue=true", headers=headers).get_json()["items"]
    assert [i["id"] for i in overdue] == [ids[1]]
    assert overdue[0]["contribution"]["is_overdue"] is True
    assert len(client.get("/api/v1/dismissals?status=due", headers=headers).get_json()["items"]) == 3
    assert client.get("/api/v1/dismissals?status=paid", headers=headers).get_json()["items"] == []
    assert client.get("/api/v1/dismissals?status=nonsense", headers=headers).status_code == 422
    assert client.get("/api/v1/dismissals?cursor=!!", headers=headers).status_code == 422


def test_payment_intent_is_idempotent_and_carries_ids_only(client, headers, dismissal_body, gateway):
    created = declare(client, headers, dismissal_body()).get_json()
    first = client.post(f"/api/v1/dismissals/{created['id']}/payment-intent", headers=headers)
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert set(body) == {"payment_intent_id", "client_secret"}
    again = client.post(f"/api/v1/dismissals/{created['id']}/payment-intent", headers=headers).get_json()
    assert again == body
    kind, call = gateway.calls[0]
    assert kind == "create" and call["amount"] == 180_000 and call["currency"] == "eur"
    assert call["idempotency_key"].startswith("contribution-")
    assert set(call["metadata"]) == {"contribution_id", "declaration_id"}
    assert "Peeters" not in str(call) and "Amélie" not in str(call)


def test_a_paid_contribution_cannot_be_paid_again(client, db_session, headers, dismissal_body, gateway):
    created = declare(client, headers, dismissal_body()).get_json()
    intent = client.post(f"/api/v1/dismissals/{created['id']}/payment-intent", headers=headers).get_json()
    gateway.set_status(intent["payment_intent_id"], "processing")
    processing = client.post(f"/api/v1/dismissals/{created['id']}/payment-intent", headers=headers)
    assert processing.status_code == 409
    assert processing.get_json()["error"]["code"] == "payment_processing"
    gateway.succeed(intent["payment_intent_id"])
    paid = client.post(f"/api/v1/dismissals/{created['id']}/payment-intent", headers=headers)
    assert paid.status_code == 409 and paid.get_json()["error"]["code"] == "already_paid"
    detail = client.get(f"/api/v1/dismissals/{created['id']}", headers=headers).get_json()
    assert detail["contribution"]["status"] == "paid" and detail["contribution"]["paid_cents"] == 180_000


def test_a_canceled_intent_is_replaced_with_a_new_key(client, headers, dismissal_body, gateway):
    created = declare(client, headers, dismissal_body()).get_json()
    first = client.post(f"/api/v1/dismissals/{created['id']}/payment-intent", headers=headers).get_json()
    gateway.set_status(first["payment_intent_id"], "canceled")
    second = client.post(f"/api/v1/dismissals/{created['id']}/payment-intent", headers=headers).get_json()
    assert second["payment_intent_id"] != first["payment_intent_id"]
    keys = [call["idempotency_key"] for kind, call in gateway.calls if kind == "create"]
    assert re.fullmatch(r"contribution-\d+", keys[0])
    assert re.fullmatch(r"contribution-\d+-1", keys[-1]) and keys[-1].startswith(keys[0] + "-")


def test_gateway_down_is_503_not_500(client, headers, dismissal_body, gateway):
    created = declare(client, headers, dismissal_body()).get_json()
    gateway.unavailable = True
    response = client.post(f"/api/v1/dismissals/{created['id']}/payment-intent", headers=headers)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "payment_unavailable"


def test_letter_pdf_in_each_language(client, headers, dismissal_body):
    created = declare(client, headers, dismissal_body()).get_json()
    for lang in ("fr", "nl", "de"):
        response = client.get(f"/api/v1/dismissals/{created['id']}/letter.pdf?lang={lang}", headers=headers)
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF")
    assert client.get(f"/api/v1/dismissals/{created['id']}/letter.pdf?lang=en", headers=headers).status_code == 422
    default = client.get(f"/api/v1/dismissals/{created['id']}/letter.pdf", headers=headers)
    assert default.status_code == 200 and default.data.startswith(b"%PDF")


def test_receipt_pdf(client, headers, dismissal_body):
    created = declare(client, headers, dismissal_body()).get_json()
    response = client.get(f"/api/v1/dismissals/{created['id']}/receipt.pdf?lang=nl", headers=headers)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_an_agent_declares_for_the_employers_it_serves(client, db_session, employer_user, other_employer_user,
                                                       dismissal_body):
    agent = make_user(db_session, Role.EMPLOYER, employer_id=None)
    declaration_services.add_agent(db_session, agent_user_id=agent.id, employer_id=employer_user.employer_id)
    declaration_services.add_agent(db_session, agent_user_id=agent.id, employer_id=other_employer_user.employer_id)
    agent_headers = bearer(client, agent.email)
    needs_choice = declare(client, agent_headers, dismissal_body())
    assert needs_choice.status_code == 422
    assert "employer_id" in needs_choice.get_json()["error"]["fields"]
    created = declare(client, agent_headers, dismissal_body(employer_id=employer_user.employer_id))
    assert created.status_code == 201
    declaration = db_session.get(Declaration, created.get_json()["id"])
    assert declaration.employer_id == employer_user.employer_id
    assert declaration.on_behalf_of_agent_id == agent.id
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.object_type == "dismissal_declaration",
                                                       AuditEntry.object_id == declaration.id))
    assert entry.actor_id == agent.id and entry.on_behalf_of == f"employer {employer_user.employer_id}"
    # The employer's own user sees it; the agent sees it too; the agent may not pick a stranger.
    own = bearer(client, employer_user.email)
    assert client.get(f"/api/v1/dismissals/{declaration.id}", headers=own).status_code == 200
    assert client.get(f"/api/v1/dismissals/{declaration.id}", headers=agent_headers).status_code == 200
    stranger = make_user(db_session, Role.EMPLOYER)
    refused = declare(client, agent_headers, dismissal_body(employer_id=stranger.employer_id))
    assert refused.status_code == 422


def test_openapi_documents_the_employer_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/dismissals", "/api/v1/dismissals/{declaration_id}",
                 "/api/v1/dismissals/{declaration_id}/payment-intent", "/api/v1/dismissals/{declaration_id}/letter.pdf",
                 "/api/v1/webhooks/stripe", "/api/v1/dismissals/import"):
        assert path in spec["paths"], path
    assert "201" in spec["paths"]["/api/v1/dismissals"]["post"]["responses"]
