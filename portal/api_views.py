"""One decorator for the shape every JSON API view shares, so that a view reads as its few lines of intent.

Written by hand, each view stacked six to eight decorators (route, who may call it, the body or query schema,
the answer's schema, the refusals it documents, the bearer security note) and ended with the request's commit.
``endpoint`` applies the same flask-smorest decorators in the same order, so the OpenAPI document does not change,
and commits after a successful call that changes something (the request's one commit).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask_smorest import Blueprint
from marshmallow import Schema

from portal.auth.schemas import ApiErrorSchema
from portal.mail import commit
from portal.permissions import AnyOf, Permission, api_access
from portal.schema_fields import BEARER

T = TypeVar("T")
SchemaArg = type[Schema] | Schema

#: Methods that change something: their view's success is committed.
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def endpoint(blp: Blueprint, rule: str, *, method: str = "GET", access: tuple[Permission | AnyOf, ...] = (),
             public: bool = False, body: SchemaArg | None = None, query: SchemaArg | None = None,
             response: tuple[int, SchemaArg | None] = (200, None), refusals: Mapping[int, str] | None = None,
             bearer: bool = True, commits: bool | None = None, **route_options: Any,
             ) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Register ``view`` on ``blp`` at ``rule``.

    ``access`` are the permissions the caller needs (``public`` for anyone), checked before the body is read;
    ``body``/``query`` the schema of what is sent; ``response`` the status and schema of success; ``refusals`` the
    documented error statuses with their descriptions (answered with ``ApiErrorSchema``). ``commits`` defaults
    to true for the methods that change something.
    """
    should_commit = method in WRITES if commits is None else commits

    def register(view: Callable[..., T]) -> Callable[..., T]:
        wrapped: Callable[..., Any] = view
        if should_commit:
            @functools.wraps(view)
            def committed(*args: Any, **kwargs: Any) -> Any:
                result = view(*args, **kwargs)
                commit()
                return result

            wrapped = committed
        if bearer:
            wrapped = blp.doc(security=BEARER)(wrapped)
        for status, description in reversed(list((refusals or {}).items())):
            wrapped = blp.alt_response(status, schema=ApiErrorSchema, description=description)(wrapped)
        status, schema = response
        wrapped = blp.response(status, schema)(wrapped) if schema is not None else blp.response(status)(wrapped)
        if query is not None:
            wrapped = blp.arguments(query, location="query")(wrapped)
        if body is not None:
            wrapped = blp.arguments(body)(wrapped)
        wrapped = api_access(*access, public=public)(wrapped)
        return blp.route(rule, methods=[method], **route_options)(wrapped)

    return register
