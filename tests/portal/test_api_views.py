"""``portal.api_views.endpoint``: the one decorator of the JSON API views (issue 14). It must document a view as the
hand-written stack did, mark who may call it, and commit exactly when a changing call succeeds."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields

from portal import api_views
from portal.permissions import Permission


class ThingSchema(Schema):
    name = fields.String(required=True)


class QuerySchema(Schema):
    limit = fields.Integer(load_default=10)


@pytest.fixture
def made(monkeypatch) -> dict[str, Any]:
    commits: list[str] = []
    monkeypatch.setattr(api_views, "commit", lambda: commits.append("commit"))
    app = Flask("endpoint-test")
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3", OPENAPI_URL_PREFIX="/")
    blp = Blueprint("things", __name__)

    @api_views.endpoint(blp, "/things", method="POST", access=(Permission.CLAIM_SUBMIT,), body=ThingSchema,
                        response=(201, ThingSchema), refusals={409: "Taken", 422: "Not a thing"})
    def create(data: dict[str, Any]):  # type: ignore[no-untyped-def]
        if data["name"] == "boom":
            raise RuntimeError("refused by the service")
        return data

    @api_views.endpoint(blp, "/things", query=QuerySchema, response=(200, ThingSchema), bearer=False)
    def read(query: dict[str, Any]):  # type: ignore[no-untyped-def]
        return {"name": f"limit {query['limit']}"}

    api = Api(app)
    api.register_blueprint(blp)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return {"app": app, "commits": commits, "spec": api.spec.to_dict(), "views": app.view_functions}


def test_a_changing_call_commits_once_when_it_succeeds_and_never_when_it_fails(made):
    client = made["app"].test_client()
    assert client.post("/things", json={"name": "a"}).status_code == 201
    assert made["commits"] == ["commit"]
    assert client.post("/things", json={"name": "boom"}).status_code == 500
    assert client.post("/things", json={}).status_code == 422  # the body is refused before the view runs
    assert client.get("/things?limit=3").get_json() == {"name": "limit 3"}
    assert made["commits"] == ["commit"]


def test_it_documents_the_view_as_the_hand_written_stack_did(made):
    post = made["spec"]["paths"]["/things"]["post"]
    assert set(post["responses"]) == {"201", "409", "422", "default"}
    assert post["responses"]["409"]["description"] == "Taken"
    assert post["security"] == [{"bearerAuth": []}]
    assert "requestBody" in post
    get = made["spec"]["paths"]["/things"]["get"]
    assert "security" not in get and [p["name"] for p in get["parameters"]] == ["limit"]


def test_it_marks_who_may_call(made):
    assert made["views"]["things.create"].api_access == (Permission.CLAIM_SUBMIT,)
    assert made["views"]["things.read"].api_access == ()
