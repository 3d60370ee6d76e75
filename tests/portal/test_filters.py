"""The lists' filters written from plain values (portal/filters.py) read and write what WTForms and the ``field``
macro read and wrote for the same fields; instants, row links and folded names prepared once per page write what
Babel, ``url_for`` and the database write."""

from __future__ import annotations

import html
import random
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from flask import render_template_string, url_for
from flask_babel import force_locale
from flask_babel import format_datetime as flask_format_datetime
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import literal, select
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, DateField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from portal.filters import Check, Day, Filters, Select, Text
from portal.instant_text import instant_writer
from portal.row_links import id_links
from portal.search import fold, folded

STATUS = {"submitted": _l("Waiting for a decision"), "waitlisted": _l("On the waiting list")}
ROUTES = {"A": _l("A: medical force majeure"), "B": _l("B: long-term incapacity")}

PLAIN = Filters(
    Select("status", _l("Status"), STATUS, blank=_l("Any status"), default="submitted",
           invalid=_l("Choose one of the statuses in the list.")),
    Select("route", _l("Route"), ROUTES, invalid=_l("Choose route A, route B or any route."), blank=_l("Any route")),
    Select("kind", "Kind", {"x": "X", "": "Any kind"}, default="x", invalid="Choose a kind."),
    Day("due_before", _l("Due before"), invalid=_l("Enter a date as YYYY-MM-DD, for example 2026-03-31."),
        description=_l("Requests whose decision is due before this day.")),
    Check("overdue", _l("Overdue only")),
    Text("q", _l("Search"), 100, too_long="At most 100.", description="A name or a number."),
)


class WTFormsTwin(FlaskForm):
    """The same fields as WTForms declared them before (the queue's QueueFilterForm)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), default="submitted", invalid_choice_message=_l("Choose one of the statuses in the list."),
                         choices=[SelectChoice("", _l("Any status"))] + [SelectChoice(k, v) for k, v in STATUS.items()])
    route = SelectField(_l("Route"), default="", invalid_choice_message=_l("Choose route A, route B or any route."),
                        choices=[SelectChoice("", _l("Any route"))] + [SelectChoice(k, v) for k, v in ROUTES.items()])
    kind = SelectField("Kind", default="x", invalid_choice_message="Choose a kind.",
                       choices=[SelectChoice("x", "X"), SelectChoice("", "Any kind")])
    due_before = DateField(_l("Due before"), validators=[Optional()],
                           invalid_value_message=_l("Enter a date as YYYY-MM-DD, for example 2026-03-31."),
                           description=_l("Requests whose decision is due before this day."))
    overdue = BooleanField(_l("Overdue only"))
    q = SearchField(_l("Search"), validators=[Length(max=100, message="At most 100.")], description="A name or a number.",
                    render_kw={"autocomplete": "off", "maxlength": 100})


_TWIN = """{% from "macros.html" import field %}{% for name in names %}{% if name == 'overdue' %}{{ form.overdue(class_="field__input") }} {{ form.overdue.label(class_="field__label field__label--inline") }}{% else %}{{ field(form[name]) }}{% endif %}|{% endfor %}"""


def _same(text: str) -> str:
    """HTML as a reader's browser reads it: entities decoded, runs of white space as one."""
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


QUERIES = ["", "status=waitlisted&route=B&due_before=2026-03-05&overdue=y&q=Dupont",
           "status=bogus&route=Z&due_before=notadate&kind=zz", "status=&route=&due_before=&kind=",
           "due_before=2026-3-5", "overdue=y&q=" + "x" * 101, "q=%3Cb%3E%22quoted%22%26", "due_before=%20"]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("query", QUERIES)
def test_each_field_is_written_as_wtforms_and_the_field_macro_wrote_it(app, language, query):
    names = list(PLAIN.fields)
    with app.test_request_context(f"/?{query}"), force_locale(language):
        from flask import request

        twin = WTFormsTwin(request.args)
        twin_valid = twin.validate()
        expected = render_template_string(_TWIN, form=twin, names=names).split("|")[:-1]
        read = PLAIN.read(request.args)
        assert read.valid() == twin_valid
        assert read.errors == {name: [str(e) for e in errors] for name, errors in twin.errors.items()}
        for name, written in zip(names, expected, strict=True):
            assert _same(read.field(name)) == _same(written), name
        for name in ("status", "route", "kind", "due_before", "overdue"):
            if name not in twin.errors:
                assert read.values[name] == (twin[name].data if name != "due_before" else twin.due_before.data)


@pytest.mark.parametrize("typed, on", [("y", True), ("n", True), ("1", True), ("false", False), ("", False)])
def test_a_check_box_is_read_as_wtforms_read_it_and_always_sends_y(app, typed, on):
    """(WTForms wrote back what was typed as the box's value, so a box typed "false" sent "false" once ticked: off.)"""
    with app.test_request_context(f"/?overdue={typed}"):
        from flask import request

        assert WTFormsTwin(request.args).overdue.data is on
        read = PLAIN.read(request.args)
        assert read.values["overdue"] is on
        assert ('checked' in read.field("overdue")) is on and 'value="y"' in read.field("overdue")


def test_the_error_summary_reads_a_read_as_it_read_a_form(app):
    with app.test_request_context("/?status=bogus&due_before=x"), force_locale("en"):
        from flask import request

        page = render_template_string('{% from "macros.html" import form_errors %}{{ form_errors(form) }}',
                                      form=PLAIN.read(request.args))
    assert '<a href="#status">Status: Choose one of the statuses in the list.</a>' in page
    assert '<a href="#due_before">Due before: Enter a date as YYYY-MM-DD' in page
    assert "form had expired" not in page


def test_next_page_arguments_keep_what_was_typed():
    read = PLAIN.read(MultiDict({"status": "", "q": " Dupont ", "overdue": "y", "due_before": "2026-03-05"}))
    assert read.args() == {"status": "", "route": "", "kind": "x", "due_before": "2026-03-05", "overdue": "y",
                           "q": " Dupont "}
    assert read.values["q"] == "Dupont"


@pytest.mark.parametrize("language", ["fr", "nl", "de", "en"])
def test_instants_are_written_as_flask_babel_writes_them(app, language):
    rng = random.Random(language)
    instants = [datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
                datetime(2026, 12, 31, 23, 0, 0, 999999, tzinfo=UTC)]
    instants += [datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10**9)) for _ in range(300)]
    with app.test_request_context("/"), force_locale(language):
        from flask_babel import get_locale, get_timezone

        write = instant_writer(get_locale(), get_timezone())
        by_zone_name = instant_writer(get_locale(), "Europe/Brussels")
        for moment in instants:
            assert write(moment) == flask_format_datetime(moment, "medium"), moment
            if moment.year < 2037:  # (pytz, under flask-babel, knows no summer time after 2037)
                assert by_zone_name(moment) == write(moment) == format_datetime(
                    moment, "medium", tzinfo=ZoneInfo("Europe/Brussels"), locale=language)


def test_row_links_are_the_links_url_for_builds(app):
    with app.test_request_context("/"):
        for endpoint, name in (("decisions.request_page", "request_id"), ("claims.fund_claim", "claim_id"),
                               ("banking.line", "line_id")):
            link = id_links(endpoint, name)
            for row_id in (1, 42, 2**31 - 1):
                assert link(row_id) == url_for(endpoint, **{name: row_id})


@pytest.mark.parametrize("text", ["Hélène", "ÉLODIE Ødegård", "Straße", "Œuvre Ærø", "Łódź", "plain", "Zoë-Ñandú",
                                  "çà et là", "ĞÜŞİÖÇ"])
def test_the_database_folds_names_as_python_does(db_session, text):
    """On PostgreSQL ``tnw_fold`` is unaccent + lower (the migration); on SQLite it is ``fold`` itself."""
    assert db_session.scalar(select(folded(literal(text)))) == fold(text)
