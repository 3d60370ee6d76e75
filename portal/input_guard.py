"""One guard for every request: text that no database can store never reaches a view.

PostgreSQL refuses the NUL character (U+0000) in text, and no driver can encode a lone surrogate (U+D800 to
U+DFFF, which a JSON ``\\ud800`` escape carries) as UTF-8: either fails only when a service writes or searches,
as a 500 (SQLite stores NUL, so the tests did not see it). Every other control character, tabs and newlines
included, is stored as is and stays allowed. The guard runs before every view and looks at the path, the
query string (names and values), the form fields, the names of uploaded files and JSON bodies (keys and values,
at any depth). The API answers 422 ``invalid_characters`` naming each field; a page answers an error page in
the person's language (400 for a link, 422 for a form), as re-showing each form generically is not possible.
A JSON body nested too deeply for the parser (a RecursionError, not a ValueError) is a 400 here as well.

Uploaded contents are left to their readers: a bank statement is binary XML or CODA, and the CSV import checks
its decoded lines itself, to name the line and the column. A view that checks its raw body itself (the Stripe
webhook: the body is signed, and an event from another system on the same Stripe account may carry anything)
is marked ``@raw_body``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from flask import Flask, Request, Response, current_app, request
from flask_babel import gettext as _

from portal.errors import error_page, is_api_request, json_error

#: What no database column can hold: NUL (PostgreSQL), and a lone surrogate (not encodable as UTF-8).
FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
PROBLEM = "Contains a character that is not allowed (a NUL byte or an invalid code point)."
RAW_BODY = "_input_guard_raw_body"

V = TypeVar("V", bound=Callable[..., Any])


def raw_body(view: V) -> V:
    """Marks a view that reads and checks its own raw body: the guard leaves the body to it (not the path or
    the query string). Put it right under the route decorator."""
    setattr(view, RAW_BODY, True)
    return view


def printable(name: str) -> str:
    """A field name fit to show: each refused character written as its code point, e.g. ``a\\u0000b``."""
    return FORBIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", name)


def json_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (field path, text) of a parsed JSON document: keys and string values, at any depth, walked
    without recursion (a deep document must not exhaust the stack). A path is dotted: ``address.street``,
    ``voucher_ids.2``."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{where}.{key}" if where else str(key)
                yield child_path, str(key)
                stack.append((child_path, child))
        elif isinstance(item, list):
            stack.extend((f"{where}.{index}" if where else str(index), child) for index, child in enumerate(item))


class MalformedBody(Exception):
    """A JSON body too deeply nested to parse."""


def _pairs(req: Request) -> Iterator[tuple[str, str, str]]:
    """(where, field, text) of everything the guard reads; ``where`` is path, query, form or body."""
    yield "path", "path", req.path
    for name, values in req.args.lists():
        yield "query", name, name
        yield from (("query", name, value) for value in values)
    if _reads_body(req):
        for name, values in req.form.lists():
            yield "form", name, name
            yield from (("form", name, value) for value in values)
        for name, upload in req.files.items(multi=True):
            yield "form", name, name
            yield "form", name, upload.filename or ""
        if req.is_json:
            try:
                document = req.get_json(silent=True)
            except RecursionError as exc:  # json raises it, not a ValueError, past ~1,000 levels
                raise MalformedBody from exc
            yield from (("body", field, text) for field, text in json_strings(document))


def _reads_body(req: Request) -> bool:
    view = current_app.view_functions.get(req.endpoint or "")
    return not getattr(view, RAW_BODY, False)


def refused_fields(req: Request) -> tuple[dict[str, list[str]], set[str]]:
    """The fields holding a refused character (``{field: [problem]}``) and where they were."""
    fields: dict[str, list[str]] = {}
    places: set[str] = set()
    for where, field, text in _pairs(req):
        if FORBIDDEN.search(text):
            fields.setdefault(printable(field), [PROBLEM])
            places.add(where)
    return fields, places


def check_request() -> Response | tuple[str, int] | None:
    """The before-request hook: None to go on, or the refusal."""
    try:
        fields, places = refused_fields(request)
    except MalformedBody:
        if is_api_request():
            return json_error(400, "The request body is nested too deeply.", "malformed_request")
        return error_page(400)
    if not fields:
        return None
    current_app.logger.info("refused characters in %s on %s %s", ", ".join(sorted(fields)), request.method,
                            printable(request.path))
    if is_api_request():
        return json_error(422, "The request contains characters that are not allowed: remove them and try again.",
                          "invalid_characters", fields)
    detail = _("Some text you sent contains an invisible control character that cannot be saved, often copied "
               "along with text from another program. Please type the text again and retry.")
    # The address itself (a link, a search) is malformed: 400; a form's content is not valid: 422.
    return error_page(400 if places <= {"path", "query"} else 422, detail)


def install(app: Flask) -> None:
    app.before_request(check_request)
