"""Typed domain errors and the handlers that turn them into pages or JSON.

Services raise these; the handlers map them to 403/404/409/422 in the shape of
API.md for ``/api/v1`` and to a page in the user's language elsewhere.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException


def N_(message: str) -> str:
    """Marks an English message for translation where it is defined; the web layer translates it."""
    return message


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, list[str]] | None = None,
                 extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}
        # More detail for API clients, added beside code/message/fields (e.g. eligibility reasons).
        self.extra = extra or {}


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"


STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def error_payload(status: int, message: str, code: str | None = None, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code or STATUS_CODES.get(status, "error"), "message": message, "fields": fields or {}}}


def json_error(status: int, message: str, code: str | None = None, fields: dict[str, Any] | None = None,
               extra: dict[str, Any] | None = None) -> Response:
    payload = error_payload(status, message, code, fields)
    payload["error"].update(extra or {})
    response = jsonify(payload)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _page_messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood. Please check what you entered and try again."),
        401: _("Please log in to continue."),
        403: _("You do not have access to this page."),
        404: _("We could not find this page. It may have moved, or it may not be yours to see."),
        405: _("This action is not possible here."),
        409: _("This could not be done because the situation has changed. Please reload the page."),
        413: _("The file is too large."),
        422: _("Some information is missing or not valid."),
        429: _("Too many attempts. Please wait a few minutes and try again."),
        500: _("Something went wrong on our side. Nothing was saved. Please try again later."),
    }


def error_page(status: int, detail: str | None = None) -> tuple[str, int]:
    messages = _page_messages()
    title = messages.get(status, messages[500])
    page_status = status if status in messages else 500
    return render_template("errors/error.html", status=page_status, title=title, detail=detail), page_status


def _flatten_webargs(messages: Any) -> dict[str, list[str]]:
    """webargs nests errors by location ({"json": {"field": [...]}}); the API wants fields only."""
    fields: dict[str, list[str]] = {}
    if not isinstance(messages, dict):
        return fields
    for location_errors in messages.values():
        if not isinstance(location_errors, dict):
            continue
        for name, problems in location_errors.items():
            fields[str(name)] = _as_strings(problems)
    return fields


def _as_strings(problems: Any) -> list[str]:
    if isinstance(problems, list):
        out: list[str] = []
        for item in problems:
            out.extend(_as_strings(item) if isinstance(item, (list, dict)) else [str(item)])
        return out
    if isinstance(problems, dict):
        out = []
        for key, value in problems.items():
            out.extend(f"{key}: {text}" for text in _as_strings(value))
        return out
    return [str(problems)]


def http_exception_response(exc: HTTPException) -> Response | tuple[str, int]:
    status = exc.code or 500
    if is_api_request():
        data = getattr(exc, "data", None) or {}
        fields = _flatten_webargs(data.get("messages")) if isinstance(data, dict) else {}
        if status == 422 and fields:
            return json_error(422, "The request did not pass validation.", "validation_failed", fields)
        if status == 400 and isinstance(data, dict) and data.get("messages"):
            return json_error(400, "The request body is not valid JSON.", "malformed_request")
        message = exc.description if isinstance(exc.description, str) else STATUS_CODES.get(status, "error")
        return json_error(status, message)
    return error_page(status)


def megabytes(size: int) -> str:
    """A byte limit as the MB a person reads: ``25`` for 25 MiB."""
    return f"{size / 2**20:.3g}"


def too_large_response(limit: int | None = None) -> Response | tuple[str, int]:
    """413: the request is larger than MAX_CONTENT_LENGTH (MAX_UPLOAD_MB), or than ``limit``, an upload's
    own smaller limit. Werkzeug's other limits (form fields kept in memory) get the message without a size."""
    if limit is None:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        length = request.content_length
        if limit and length is not None and length <= limit:
            limit = None
    if is_api_request():
        message = f"The request is larger than {megabytes(limit)} MB." if limit else "The request is too large."
        return json_error(413, message, "payload_too_large")
    detail = _("Send a file of at most %(mb)s MB, or split it into several files.", mb=megabytes(limit)) \
        if limit else None
    return error_page(413, detail)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError) -> Any:
        # A refused request changes nothing: whatever it flushed is undone.
        from portal.db import db

        db.session.rollback()
        app.logger.info("domain error %s: %s", exc.code, exc.message)
        if is_api_request():
            return json_error(exc.status, exc.message, exc.code, exc.fields, exc.extra)
        if exc.status == 404:
            return error_page(404)
        return error_page(exc.status, exc.message)

    @app.errorhandler(StaleDataError)
    def handle_stale(exc: StaleDataError) -> Any:
        # Someone else changed the same row between our read and our write.
        return handle_domain_error(Conflict("Someone changed this at the same time. Please reload and try again.",
                                            code="concurrent_change"))

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException) -> Any:
        return http_exception_response(exc)

    @app.errorhandler(413)
    def handle_too_large(exc: HTTPException) -> Any:
        return too_large_response()

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Any:
        # Anything unexpected is rolled back so no half-written record survives.
        from portal.db import db

        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if is_api_request():
            return json_error(500, "Internal error. Nothing was saved.", "internal_error")
        return error_page(500)
