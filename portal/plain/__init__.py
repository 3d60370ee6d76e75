"""Easy words (plain language): see ``portal.plain.reading``. ``install`` wires them into the app."""

from __future__ import annotations

from flask import Flask


def install(app: Flask) -> None:
    """The ``plain`` domain under every translation, the switch's pages, and what the templates ask."""
    from portal.extensions import add_pages, babel
    from portal.plain import reading, views

    # flask-babel keeps its default domain on the extension (a cached property): ours takes its place.
    babel.domain_instance = reading.ReaderDomain()
    add_pages(app, views.bp)
    app.jinja_env.globals.update(easy_words_offered=reading.offered, easy_words_on=reading.plain_reading)
