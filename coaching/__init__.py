"""The provider side: providers and their offers, the marketplace, coaches' availability and sessions, claims, disputes.

``register`` is how the portal's app factory takes this package in: its pages, its API, its template
helpers and its scheduled jobs. Nothing in ``portal`` imports this package otherwise.
"""

from __future__ import annotations

from typing import Any


def register(app: Any) -> None:
    from coaching import privacy  # noqa: F401 - registers the person's data (sessions, notes, disputes, claims)
    from coaching.availability import api as availability_api
    from coaching.availability import views as availability_views
    from coaching.calendar import api as calendar_api
    from coaching.calendar import tasks as calendar_tasks  # noqa: F401 - registers jobs
    from coaching.calendar.views import agenda as agenda_views
    from coaching.calendar.views import coach as coach_views
    from coaching.claims import api as claim_api
    from coaching.claims import views as claim_views
    from coaching.disputes import api as dispute_api
    from coaching.disputes import views as dispute_views
    from coaching.marketplace import api as marketplace_api
    from coaching.marketplace.views import profile as profile_views
    from coaching.marketplace.views import search as search_views
    from coaching.providers import api as provider_api
    from coaching.providers import tasks as provider_tasks  # noqa: F401 - registers jobs
    from coaching.providers import views as provider_views
    from coaching.templating import template_helpers
    from portal.extensions import add_api, add_pages

    add_pages(app, search_views.bp, profile_views.bp, provider_views.bp, coach_views.bp, agenda_views.bp,
              availability_views.bp, dispute_views.bp, claim_views.bp)
    add_api(provider_api.blp, calendar_api.blp, claim_api.blp, marketplace_api.blp, availability_api.blp,
            dispute_api.blp)
    app.context_processor(template_helpers)
