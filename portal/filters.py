"""The filters of a list page, sent by GET: read from the query string and written as HTML from plain values.

A list's filters are the same few selects, dates, boxes and a search box on every render. WTForms builds a form
object, its fields and their widgets for each request and escapes every option again, which cost the fund's queue
about a fifth of its render. Here a page declares its filters once (``Filters``); each language's label and options
of a field are written once per process, and a request only reads its values (``Filters.read``) and puts
``selected``, ``checked``, ``value`` and the errors in place. The HTML is what WTForms and the ``field`` macro of
``templates/macros.html`` write for the same fields (``tests/portal/test_filters.py`` compares them), and the
errors are the same messages, all at once, with the text as typed kept.

A read is also what ``form_errors(form)`` (``templates/macros.html``) reads: ``errors``, ``form_errors`` and
``form[name].id`` / ``.label.text``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import get_translations
from markupsafe import Markup, escape


@dataclass(frozen=True, eq=False)
class Select:
    """One of ``choices`` ({value: label}); ``blank`` labels the first option, "any" (value ""), when given."""

    name: str
    label: Any
    choices: Mapping[str, Any]
    invalid: Any
    default: str = ""
    blank: Any = None
    description: Any = None

    def read(self, typed: str | None) -> tuple[Any, str, list[str]]:
        text = self.default if typed is None else typed
        known = text in self.choices or (text == "" and self.blank is not None)
        return (text if known else None), text, ([] if known else [str(self.invalid)])


@dataclass(frozen=True, eq=False)
class Day:
    """A calendar day typed as YYYY-MM-DD (the browser's date picker), or nothing."""

    name: str
    label: Any
    invalid: Any
    description: Any = None

    def read(self, typed: str | None) -> tuple[Any, str, list[str]]:
        text = typed or ""
        if not text.strip():
            return None, text, []
        try:
            return datetime.strptime(text, "%Y-%m-%d").date(), text, []
        except ValueError:
            return None, text, [str(self.invalid)]


@dataclass(frozen=True, eq=False)
class Check:
    """A check box: on unless absent, empty or "false" (as WTForms reads it)."""

    name: str
    label: Any

    def read(self, typed: str | None) -> tuple[Any, str, list[str]]:
        on = typed not in (None, "", "false")
        return on, "y" if on else "", []


@dataclass(frozen=True, eq=False)
class Text:
    """Free text, such as a search box: at most ``max_length`` characters (else ``too_long``)."""

    name: str
    label: Any
    max_length: int
    too_long: Any
    description: Any = None
    input_type: str = "search"

    def read(self, typed: str | None) -> tuple[Any, str, list[str]]:
        text = typed or ""
        if len(text) > self.max_length:
            return None, text, [str(self.too_long)]
        return text.strip(), text, []


FilterField = Select | Day | Check | Text


class _Label:
    def __init__(self, text: str) -> None:
        self.text = text


class _Named:
    """What ``form_errors`` reads of a field: its id and its label's text."""

    def __init__(self, name: str, label: str) -> None:
        self.id = name
        self.label = _Label(label)


@dataclass
class Read:
    """The filters of one request: ``values`` (None where a value could not be used), the text as typed
    (``typed``), and the problems (``errors`` by field, ``form_errors`` for the form)."""

    filters: Filters
    values: dict[str, Any]
    typed: dict[str, str]
    errors: dict[str, list[str]]
    form_errors: list[str] = field(default_factory=list)

    def valid(self) -> bool:
        return not self.errors and not self.form_errors

    def __getitem__(self, name: str) -> _Named:
        return _Named(name, self.filters.written(name)["label_text"])

    def field(self, name: str) -> Markup:
        """The field as the ``field`` macro writes it (a check box as the lists write theirs)."""
        spec = self.filters.fields[name]
        written = self.filters.written(name)
        errors = self.errors.get(name, [])
        if isinstance(spec, Check):
            return written["checked" if self.values.get(name) else "unchecked"]
        attrs = []
        described = ([f"{name}-hint"] if written["hint"] else []) + ([f"{name}-error"] if errors else [])
        if described:
            attrs.append(f'aria-describedby="{" ".join(described)}"')
        if errors:
            attrs.append('aria-invalid="true"')
        error_html = (Markup('<p class="field__error" id="{}-error">{}</p>').format(name, " ".join(errors))
                      if errors else "")
        if isinstance(spec, Select):
            chosen = self.typed.get(name, "")
            options = "".join(selected if value == chosen else plain for value, plain, selected in written["options"])
            control = Markup(f'<select {" ".join([*attrs, written["control"]])}>{options}</select>')
        else:
            value = escape(self.typed.get(name, ""))
            control = Markup(f'<input {" ".join([*attrs, written["control"]])} type="{written["type"]}" '
                             f'value="{value}">')
        return Markup(f'<div class="field{" field--error" if errors else ""}">\n  {written["label"]}{written["hint"]}'
                      f'{error_html}{control}\n</div>')

    def args(self) -> dict[str, str]:
        """The filters as query arguments, as typed (a next page keeps them); a check box as "y" when on."""
        return {name: text for name, text in self.typed.items()
                if text or isinstance(self.filters.fields[name], Select)}


class Filters:
    """A list's filters, declared once per process."""

    def __init__(self, *fields: FilterField) -> None:
        self.fields = {spec.name: spec for spec in fields}
        self._written: dict[tuple[str, Any], dict[str, Any]] = {}

    def read(self, args: Mapping[str, str]) -> Read:
        values, typed, errors = {}, {}, {}
        for name, spec in self.fields.items():
            value, text, problems = spec.read(args.get(name))
            values[name], typed[name] = value, text
            if problems:
                errors[name] = problems
        return Read(self, values, typed, errors)

    def written(self, name: str) -> dict[str, Any]:
        """The parts of field ``name`` that depend on the language only, written once per language: per catalogue
        the page's texts come from (one per language, and per language of easy words, each made once)."""
        key = (name, get_translations())
        parts = self._written.get(key)
        if parts is None:
            parts = self._written[key] = _write(self.fields[name])
        return parts


def _write(spec: FilterField) -> dict[str, Any]:
    name, label = spec.name, str(spec.label)
    if isinstance(spec, Check):
        box = f'class="field__input" id="{name}" name="{name}" type="checkbox" value="y">'
        text = Markup('<label class="field__label field__label--inline" for="{}">{}</label>').format(name, label)
        return {"label_text": label,
                "checked": Markup(f"<input checked {box} {text}"), "unchecked": Markup(f"<input {box} {text}")}
    description = getattr(spec, "description", None)
    parts: dict[str, Any] = {
        "label_text": label,
        "label": Markup('<label class="field__label" for="{}">{}</label>').format(name, label),
        "hint": Markup('<p class="field__hint" id="{}-hint">{}</p>').format(name, str(description))
        if description else "",
        "control": f'class="field__input" id="{name}" name="{name}"',
    }
    if isinstance(spec, Select):
        choices = ([("", spec.blank)] if spec.blank is not None else []) + list(spec.choices.items())
        parts["options"] = [(value, Markup('<option value="{}">{}</option>').format(value, str(text)),
                             Markup('<option selected value="{}">{}</option>').format(value, str(text)))
                            for value, text in choices]
    elif isinstance(spec, Text):
        parts["control"] = (f'autocomplete="off" class="field__input" id="{name}" maxlength="{spec.max_length}" '
                            f'name="{name}"')
        parts["type"] = spec.input_type
    else:
        parts["type"] = "date"
    return parts
