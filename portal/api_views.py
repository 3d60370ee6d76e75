"""One decorator for the shape every JSON API view shares, so that a view reads as its few lines of intent.

Written by hand, each view stacked six to eight decorators (route, who may call it, the body or query schema,
the answer's schema, the refusals it documents, the bearer security note) and ended with the request's commit.
``endpoint`` applies the same flask-smorest decorators in the same order, so the OpenAPI document does not change,
and commits after a successful call that changes something (the request's one commit).

The views that answer something else than a schema's JSON (a CSV, PDF, iCalendar or XML file) document it with
``doc`` and ``response=None``, or with ``content_type``; the ones that read their own raw body, are the same for
every anonymous visitor, or are rate limited say so with ``raw_body``, ``public_page`` and ``limits``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from flask_smorest import Blueprint
from marshmallow import Schema

from portal import input_guard, public_cache
from portal.auth.schemas import ApiErrorSchema
from portal.mail import commit
from portal.permissions import AnyOf, Permission, api_access
from portal.schema_fields import BEARER

T = TypeVar("T")
SchemaArg = type[Schema] | Schema
#: A documented refusal: its description (answered with ``ApiErrorSchema``), or (schema, description) for one
#: answered with another schema, or with no documented body (``None``).
Refusal = str | tuple[SchemaArg | None, str]
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

#: Methods that change something: their view's success is committed.
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def endpoint(blp: Blueprint, rule: str, *, method: str = "GET", access: tuple[Permission | AnyOf, ...] = (),
             public: bool = False, body: SchemaArg | None = None, body_location: str = "json",
             query: SchemaArg | None = None, response: tuple[int, SchemaArg | None] | None = (200, None),
             response_description: str | None = None, content_type: str | None = None,
             answers: Mapping[int, tuple[SchemaArg, str]] | None = None,
             refusals: Mapping[int, Refusal] | None = None, bearer: bool | None = None,
             doc: Mapping[str, Any] | None = None, commits: bool | None = None, raw_body: bool = False,
             public_page: bool = False, limits: Sequence[Decorator] = (), **route_options: Any,
             ) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Register ``view`` on ``blp`` at ``rule``.

    ``access`` are the permissions the caller needs (``public`` for anyone), checked before the body is read;
    ``body``/``query`` the schema of what is sent (``body_location="files"`` for a multipart upload);
    ``response`` the status and schema of success, with its ``response_description`` and ``content_type`` (a
    schema-less file), or ``None`` when ``doc`` describes the answers (a download); ``answers`` the other
    successes, status -> (schema, description); ``refusals`` the documented error statuses with their
    descriptions (see ``Refusal``). ``bearer`` (the security note) defaults to true unless ``public``; ``doc`` adds
    to the same ``blp.doc`` (parameters, responses, requestBody). ``commits`` defaults to true for the methods that
    change something. ``raw_body`` marks a view that reads and checks its own body (``input_guard.raw_body``);
    ``public_page`` one whose answers to anonymous visitors are the same for everyone (``public_cache``);
    ``limits`` are rate limits, put right around the view as written by hand. ``route_options`` go to the route.
    """
    should_commit = method in WRITES if commits is None else commits
    with_bearer = not public if bearer is None else bearer
    doc_kwargs = {**({"security": BEARER} if with_bearer else {}), **(doc or {})}
    documented = [*((status, schema, description) for status, (schema, description) in (answers or {}).items()),
                  *((status, *_refusal(refusal)) for status, refusal in (refusals or {}).items())]

    def register(view: Callable[..., T]) -> Callable[..., T]:
        wrapped: Callable[..., Any] = view
        if should_commit:
            @functools.wraps(view)
            def committed(*args: Any, **kwargs: Any) -> Any:
                result = view(*args, **kwargs)
                commit()
                return result

            wrapped = committed
        for limit in reversed(limits):
            wrapped = limit(wrapped)
        if doc_kwargs:
            wrapped = blp.doc(**doc_kwargs)(wrapped)
        for status, schema, description in reversed(documented):
            wrapped = blp.alt_response(status, schema=schema, description=description)(wrapped)
        if response is not None:
            status, schema = response
            wrapped = blp.response(status, schema, description=response_description,
                                   content_type=content_type)(wrapped)
        if query is not None:
            wrapped = blp.arguments(query, location="query")(wrapped)
        if body is not None:
            wrapped = blp.arguments(body, location=body_location)(wrapped)
        if public_page:
            wrapped = public_cache.public_page(wrapped)
        wrapped = api_access(*access, public=public)(wrapped)
        if raw_body:
            wrapped = input_guard.raw_body(wrapped)
        return blp.route(rule, methods=[method], **route_options)(wrapped)

    return register


def _refusal(refusal: Refusal) -> tuple[SchemaArg | None, str]:
    return (ApiErrorSchema, refusal) if isinstance(refusal, str) else refusal
