"""``portal.api_views.endpoint``: the one decorator of the JSON API views (issue 14). It must document a view as the
hand-written stack did, mark who may call it, and commit exactly when a changing call succeeds."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask, Response
from flask_login import LoginManager
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields

from portal import api_views
from portal.input_guard import RAW_BODY
from portal.permissions import Permission
from portal.public_cache import MARK


class ThingSchema(Schema):
    name = fields.String(required=True)


class QuerySchema(Schema):
    limit = fields.Integer(load_default=10)


class UploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


CSV_DOC = {"responses": {"200": {"description": "A CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}}}


@pytest.fixture
def made(monkeypatch) -> dict[str, Any]:
    commits: list[str] = []
    monkeypatch.setattr(api_views, "commit", lambda: commits.append("commit"))
    app = Flask("endpoint-test")
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3", OPENAPI_URL_PREFIX="/")
    LoginManager(app).user_loader(lambda _id: None)  # public_page asks whether the caller is anonymous
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

    @api_views.endpoint(blp, "/things.csv", access=(Permission.CLAIM_SUBMIT,), query=QuerySchema, response=None,
                        doc=CSV_DOC)
    def download(query: dict[str, Any]):  # type: ignore[no-untyped-def]
        return Response(f"limit\n{query['limit']}\n", mimetype="text/csv")

    @api_views.endpoint(blp, "/things.pdf", response_description="A PDF", content_type="application/pdf")
    def pdf():  # type: ignore[no-untyped-def]
        return Response(b"%PDF", mimetype="application/pdf")

    @api_views.endpoint(blp, "/uploads", method="POST", body=UploadSchema, body_location="files",
                        response=(201, ThingSchema), response_description="Read",
                        answers={200: (ThingSchema, "Read before")},
                        refusals={413: "Too large", 429: (None, "Too often")}, raw_body=True, commits=False)
    def upload(files: dict[str, Any]):  # type: ignore[no-untyped-def]
        return {"name": files["file"].filename}

    def limit(view):  # type: ignore[no-untyped-def]
        """Stands for a rate limit: it must be the view's own wrapper, inside the commit and the schemas."""
        def limited(*args: Any, **kwargs: Any) -> Any:
            calls.append(("limit", args, kwargs))
            return view(*args, **kwargs)
        limited.__name__ = view.__name__
        return limited

    calls: list[Any] = []

    @api_views.endpoint(blp, "/public-things/<int:thing_id>", method="PUT", public=True, public_page=True,
                        body=ThingSchema, response=(200, ThingSchema), limits=(limit,))
    def replace(data: dict[str, Any], thing_id: int):  # type: ignore[no-untyped-def]
        return {"name": f"{data['name']} {thing_id}"}

    api = Api(app)
    api.register_blueprint(blp)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return {"app": app, "commits": commits, "spec": api.spec.to_dict(), "views": app.view_functions,
            "calls": calls}


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


def test_a_download_is_documented_by_its_doc_and_answered_as_the_view_made_it(made):
    get = made["spec"]["paths"]["/things.csv"]["get"]
    assert get["responses"]["200"] == CSV_DOC["responses"]["200"]
    assert get["security"] == [{"bearerAuth": []}] and [p["name"] for p in get["parameters"]] == ["limit"]
    pdf = made["spec"]["paths"]["/things.pdf"]["get"]["responses"]["200"]
    assert pdf == {"description": "A PDF"}  # flask-smorest documents no content without a schema, as by hand
    client = made["app"].test_client()
    answer = client.get("/things.csv?limit=4")
    assert (answer.status_code, answer.mimetype, answer.text) == (200, "text/csv", "limit\n4\n")
    assert client.get("/things.pdf").data == b"%PDF"


def test_other_answers_and_refusals_keep_their_own_schema_or_none(made):
    post = made["spec"]["paths"]["/uploads"]["post"]
    assert list(post["responses"])[:5] == ["422", "429", "413", "200", "201"]  # the order the hand stack gave
    assert post["responses"]["200"]["description"] == "Read before"
    assert post["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Thing"}
    assert post["responses"]["201"]["description"] == "Read"
    assert post["responses"]["413"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiError"}
    assert post["responses"]["429"] == {"description": "Too often"}
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert getattr(made["views"]["things.upload"], RAW_BODY) is True
    assert not hasattr(made["views"]["things.read"], RAW_BODY)


def test_an_upload_is_read_from_its_files_and_not_committed_when_the_view_commits_itself(made):
    client = made["app"].test_client()
    answer = client.post("/uploads", data={"file": (io.BytesIO(b"x"), "a.xml")}, content_type="multipart/form-data")
    assert (answer.status_code, answer.get_json()) == (201, {"name": "a.xml"})
    assert made["commits"] == []


def test_a_public_view_has_no_bearer_note_and_its_limit_runs_after_the_body_is_read(made):
    put = made["spec"]["paths"]["/public-things/{thing_id}"]["put"]
    assert "security" not in put
    assert made["views"]["things.replace"].api_access == "public"
    client = made["app"].test_client()
    assert client.put("/public-things/3", json={}).status_code == 422
    assert made["calls"] == []  # refused by the schema, outside the limit
    answer = client.put("/public-things/3", json={"name": "a"})
    assert answer.get_json() == {"name": "a 3"} and answer.headers[MARK] == "1"
    assert made["calls"] == [("limit", ({"name": "a"},), {"thing_id": 3})]
    assert made["commits"] == ["commit"]
