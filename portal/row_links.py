"""Links to each row of a list for the cost of one ``url_for``.

A list of 50 rows linked with ``url_for`` builds 50 URLs through Werkzeug's routing (about 10 µs each). The rows'
links differ only by the id: ``id_links`` builds the URL once with a marker in the id's place and puts each id there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus

from flask import url_for

#: No row has this id (ids are PostgreSQL integers, at most 2**31 - 1), and no other part of a URL holds it.
_MARKER = 918273645546372819
_QUERY_SAFE = "!$'()*,/:;?@"


def id_links(endpoint: str, id_name: str, **values: Any) -> Callable[[int], str]:
    """``link(id) == url_for(endpoint, **{id_name: id}, **values)``."""
    head, marker, tail = url_for(endpoint, **{id_name: _MARKER}, **values).partition(str(_MARKER))
    if not marker:  # the endpoint does not put the id in the URL as it is: build each link
        return lambda row_id: url_for(endpoint, **{id_name: row_id}, **values)
    return lambda row_id: f"{head}{row_id}{tail}"


def query_links(endpoint: str, name: str, **values: Any) -> Callable[[str], str]:
    """``link(value) == url_for(endpoint, **values, **{name: value})``, ``name`` last in the query string: for
    the links of a grid that differ by one query value (a free hour's start), built once."""
    head, marker, tail = url_for(endpoint, **values, **{name: str(_MARKER)}).partition(str(_MARKER))
    if not marker:
        return lambda value: url_for(endpoint, **values, **{name: value})
    # As Werkzeug writes a query value (``werkzeug.urls._urlencode``).
    return lambda value: f"{head}{quote_plus(str(value), safe=_QUERY_SAFE)}{tail}"
