"""The Fonds Retour au Travail portal: the application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.routing import IntegerConverter

from portal.config import PROJECT_ROOT, load_config


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    config = load_config()
    config.update(overrides or {})
    app = Flask(
        __name__,
        instance_path=config["INSTANCE_PATH"],
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(config)
    if app.config["SESSION_COOKIE_SECURE"] is None:  # secure by default; plain http only to debug and test
        app.config["SESSION_COOKIE_SECURE"] = not (app.debug or app.testing)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    app.url_map.converters["int"] = BoundedIntConverter
    if app.config["TRUST_PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUST_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    register_extensions(app)
    from portal import input_guard

    input_guard.install(app)  # after the access and CSRF checks: a stranger's probe is a 401/403 first
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    from portal import plain

    plain.install(app)  # easy words: the plain-language catalog domain and its switch
    register_cli(app)
    from portal import public_cache

    public_cache.install(app)
    return app


class BoundedIntConverter(IntegerConverter):
    """``<int:id>`` up to the database's 32-bit ids: a larger number is a plain 404, never an overflow."""

    def __init__(self, url_map, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _session_backend(app: Flask) -> None:
    if app.config["SESSION_TYPE"] == "redis":
        import redis

        app.config["SESSION_REDIS"] = redis.from_url(app.config["SESSION_REDIS_URL"])
    elif "SESSION_CACHELIB" not in app.config:
        from cachelib.file import FileSystemCache

        app.config["SESSION_CACHELIB"] = FileSystemCache(app.config["SESSION_DIRECTORY"], threshold=100_000)


def register_extensions(app: Flask) -> None:
    from portal import models_registry  # noqa: F401 - every model on the metadata
    from portal.auth.passwords import use_parameters as use_password_parameters
    from portal.auth.services import api_token_user, load_session_user
    from portal.clock import utcnow
    from portal.db import db, render_migration_item
    from portal.extensions import (
        api,
        babel,
        csrf,
        limiter,
        login_manager,
        migrate,
        server_sessions,
    )
    from portal.i18n import select_locale
    from portal.mail import transport_for
    from portal.notifications.services import UNREAD_BESIDE_USER

    use_password_parameters(**app.config["ARGON2_PARAMETERS"])
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True,
                     render_item=render_migration_item)
    _session_backend(app)
    server_sessions.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    api.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    app.extensions["portal_mail_transport"] = app.config.get("MAIL_TRANSPORT") or transport_for(app.config)

    @login_manager.user_loader
    def load_user(login_id: str):  # type: ignore[no-untyped-def]
        if _bearer_request():
            return None  # a bearer call is judged by its token alone, never by a cookie beside it
        user, beside = load_session_user(db.session, login_id, UNREAD_BESIDE_USER)
        if user is not None and request.method in ("GET", "HEAD"):
            g.unread_notifications = beside[0]  # a read changes no notice: the header shows this count
        return user

    @login_manager.request_loader
    def load_user_from_bearer(req):  # type: ignore[no-untyped-def]
        if not _bearer_request():
            return None
        return api_token_user(db.session, req.headers["Authorization"][7:].strip(), now=utcnow())

    @login_manager.unauthorized_handler
    def unauthorized():  # type: ignore[no-untyped-def]
        from flask import abort, redirect, url_for

        if request.path.startswith("/api/"):
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.before_request
    def check_api_access() -> None:
        """Who may call an API view is decided before its arguments are parsed."""
        from portal.permissions import enforce_api_access

        if request.path.startswith("/api/") and request.endpoint and request.endpoint != "api-docs.openapi_json":
            view = app.view_functions.get(request.endpoint)
            if view is not None:
                enforce_api_access(view)

    @app.before_request
    def protect_api_cookie_calls() -> None:
        """Bearer calls need no CSRF token; calls riding on a logged-in browser session do."""
        if not request.path.startswith("/api/") or request.method in ("GET", "HEAD", "OPTIONS"):
            return
        if _bearer_request():
            return
        if "_user_id" in session:
            csrf.protect()


def _bearer_request() -> bool:
    return request.path.startswith("/api/") and request.headers.get("Authorization", "").lower().startswith("bearer ")


def register_blueprints(app: Flask) -> None:
    """The portal's own pages and API, then each domain package's (``register`` in its ``__init__``)."""
    import coaching
    import vouchers
    from portal import tasks  # noqa: F401 - the portal's own scheduled jobs
    from portal import views as main_views
    from portal.audit import api as audit_api
    from portal.audit import views as audit_views
    from portal.auth import api as auth_api
    from portal.auth import fas as fas_sign_in
    from portal.auth import two_step_views  # noqa: F401 - the account's two-step pages, on auth's blueprint
    from portal.auth import views as auth_views
    from portal.extensions import add_api, add_pages, api
    from portal.notifications import api as notifications_api
    from portal.notifications import views as notifications_views
    from portal.pages import views as trust_pages

    add_pages(app, main_views.bp, auth_views.bp, audit_views.bp, notifications_views.bp, trust_pages.bp,
              fas_sign_in.bp)
    add_api(auth_api.blp, audit_api.blp, notifications_api.blp)
    vouchers.register(app)
    coaching.register(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})


def register_errorhandlers(app: Flask) -> None:
    from portal.errors import error_page, json_error, register_error_handlers

    register_error_handlers(app)

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError):  # type: ignore[no-untyped-def]
        if request.path.startswith("/api/"):
            return json_error(403, "Missing or invalid CSRF token.", "csrf_failed")
        return error_page(400, "The form had expired or was sent from elsewhere. Please try again.")

    from portal.security import register_security_headers

    register_security_headers(app)


def register_template_helpers(app: Flask) -> None:
    from portal.formats import reader_gettext
    from portal.i18n import (
        LANGUAGE_NAMES,
        hours,
        in_page_language,
        local_datetime,
        local_day,
        local_time,
        long_date,
        money_filter,
        role_label,
        status_label,
    )
    from portal.permissions import Permission, can
    from portal.row_links import id_links, query_links
    from portal.template_urls import remembered_url_for

    app.context_processor(reader_gettext)  # each page finds its catalogue once, not once per string
    app.jinja_env.globals["url_for"] = remembered_url_for(app)  # a page's frame links built once per process
    app.jinja_env.filters["money"] = money_filter
    app.jinja_env.filters["long_date"] = in_page_language(long_date)
    app.jinja_env.globals.update(
        can=lambda permission, obj=None: can(current_user, permission, obj),
        Permission=Permission,
        current_locale=lambda: str(get_locale()),
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        UI_LANGUAGES=app.config["UI_LANGUAGES"],
        status_label=in_page_language(status_label),
        role_label=in_page_language(role_label),
        local_datetime=in_page_language(local_datetime),
        local_time=in_page_language(local_time),
        local_day=in_page_language(local_day),
        hours=hours,
        unread_notifications=_unread_notifications,
        id_links=id_links,  # a list's or a grid's links, built once per page (portal/row_links.py)
        query_links=query_links,
    )


def _unread_notifications() -> int:
    """The header's count: one small query, only for a logged-in person."""
    from portal.db import db
    from portal.notifications.services import unread_count

    if not current_user.is_authenticated:
        return 0
    counted = g.get("unread_notifications")  # read with the user on GET (see load_user)
    return counted if counted is not None else unread_count(db.session, current_user.id)


def register_cli(app: Flask) -> None:
    from portal.cli import register_commands

    register_commands(app)


__all__ = ["create_app"]
