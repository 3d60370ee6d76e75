"""``paged_table`` and ``pager`` (templates/macros.html): the table and pager of the fund's list pages, written once.
They must write what each page wrote by hand: the hidden caption, scoped column headers, the caller's rows, the
sentence for an empty page, and the pager's labelled links."""

from __future__ import annotations

import re

from flask import render_template_string

PAGE = """{% from "macros.html" import paged_table %}
{%- call paged_table(rows, "things", "Things, <newest> first", ["Thing", "Size & kind"], "No thing yet.", first_url,
                     next_url, table_class=table_class) %}{% for r in rows %}<tr><th scope="row">{{ r }}</th></tr>{% endfor %}
{%- endcall %}"""


def _render(app, **context) -> str:
    context = {"rows": [], "first_url": None, "next_url": None, "table_class": None, **context}
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        html = render_template_string(PAGE, **context)
    return re.sub(r">\s+<", "><", html).strip()


def test_rows_are_shown_in_the_table_with_its_caption_and_scoped_headers(app):
    html = _render(app, rows=["a", "b<"], first_url="/list", next_url="/list?after=2")
    assert html == (
        '<div class="table-wrap"><table id="things"><caption class="visually-hidden">Things, &lt;newest&gt; first'
        '</caption><thead><tr><th scope="col">Thing</th><th scope="col">Size &amp; kind</th></tr></thead><tbody>'
        '<tr><th scope="row">a</th></tr><tr><th scope="row">b&lt;</th></tr></tbody></table></div>'
        '<nav class="pager" aria-label="Pages"><a href="/list">First page</a>'
        '<a href="/list?after=2" rel="next">Next page</a></nav>')


def test_an_empty_page_says_so_and_keeps_the_pager(app):
    html = _render(app, first_url="/list")
    assert html == ('<p>No thing yet.</p><nav class="pager" aria-label="Pages"><a href="/list">First page</a>'
                    '</nav>')
    assert _render(app) == '<p>No thing yet.</p><nav class="pager" aria-label="Pages"></nav>'


def test_a_table_class_is_written_before_the_id(app):
    assert '<table class="stack-table" id="things">' in _render(app, rows=["a"], table_class="stack-table")
