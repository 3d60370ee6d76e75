"""``url_for`` for templates, each link built once per process instead of once per page.

A page's frame (the header, the footer, a section's menu) writes the same twenty or thirty links on every render,
each through Werkzeug's routing (5 to 20 µs). A link depends only on its endpoint and values and on where the app is
mounted (``request.script_root``): the first build is kept under those, and the next pages reuse it. Links that
could differ otherwise are built each time by Flask: outside a request, with ``_external``, ``_scheme``,
``_method`` or ``_anchor``, with values that cannot be a key (lists), or once the app has URL defaults.
Links with ids (a row's) are kept too, up to ``KEPT`` distinct ones, then built each time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, has_request_context, request

#: At most this many distinct links are kept per process (a list's rows add new ones at each page).
KEPT = 4096


def remembered_url_for(app: Flask) -> Callable[..., str]:
    build = app.url_for
    kept: dict[tuple[Any, ...], str] = {}

    def url_for(endpoint: str, **values: Any) -> str:
        if app.url_default_functions or not has_request_context():
            return build(endpoint, **values)
        try:
            key = (request.script_root, request.blueprint if endpoint[:1] == "." else None, endpoint,
                   *((name, type(value), value) for name, value in values.items()))
            link = kept.get(key)
        except TypeError:  # a value that cannot be a key
            return build(endpoint, **values)
        if link is None:
            link = build(endpoint, **values)
            if len(kept) < KEPT and not any(name[:1] == "_" for name in values):
                kept[key] = link
        return link

    return url_for
