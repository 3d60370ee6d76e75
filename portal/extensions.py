"""Flask extensions, created once and bound in ``create_app``."""

from __future__ import annotations

from flask import Blueprint as FlaskBlueprint
from flask import Flask, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_session import Session as ServerSideSession
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from flask_wtf.csrf import CSRFProtect

from portal.auth.schemas import ApiErrorSchema
from portal.errors import http_exception_response


def client_ip() -> str:
    return request.remote_addr or "unknown"


class PortalApi(Api):
    """flask-smorest, with errors in the API.md shape instead of its own."""

    ERROR_SCHEMA = ApiErrorSchema

    def handle_http_exception(self, error):  # type: ignore[no-untyped-def]
        return http_exception_response(error)


babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=client_ip)
login_manager = LoginManager()
migrate = Migrate()
server_sessions = ServerSideSession()
api = PortalApi()


def add_pages(app: Flask, *blueprints: FlaskBlueprint) -> None:
    """Register a package's HTML blueprints."""
    for blueprint in blueprints:
        app.register_blueprint(blueprint)


def add_api(*blueprints: SmorestBlueprint) -> None:
    """Register a package's API blueprints under /api/v1: bearer calls need no CSRF token (cookie calls are
    checked in ``create_app``), and their schemas go into the OpenAPI document."""
    for blueprint in blueprints:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint, url_prefix="/api/v1")
