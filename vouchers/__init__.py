"""The voucher and its money: requests and decisions (and the mutual insurers' coordinators who file them for
members), vouchers, employers' contributions, the bank, the ledger.

``register`` is how the portal's app factory takes this package in: its pages, its API, who owns its
objects, and its scheduled jobs. Nothing in ``portal`` imports this package otherwise.
"""

from __future__ import annotations

from typing import Any


def register(app: Any) -> None:
    from portal.extensions import add_api, add_pages
    from vouchers.banking import api as banking_api
    from vouchers.banking import views as banking_views
    from vouchers.coordinators import api as coordinator_api
    from vouchers.coordinators.views import caseload as coordinator_views
    from vouchers.coordinators.views import fund as fund_coordinator_views
    from vouchers.coordinators.views import members as member_invitation_views
    from vouchers.decisions import views as decision_views
    from vouchers.employers import api as employer_api
    from vouchers.employers import tasks as employer_tasks  # noqa: F401 - registers jobs
    from vouchers.employers import views as employer_views
    from vouchers.employers.agents import api as agent_api
    from vouchers.employers.agents import views as agent_views
    from vouchers.employers.services import ownership as employer_ownership  # noqa: F401 - registers owner rules
    from vouchers.ledger import api as ledger_api
    from vouchers.ledger import tasks as ledger_tasks  # noqa: F401 - registers jobs
    from vouchers.ledger import views as ledger_views
    from vouchers.requests import api as request_api
    from vouchers.requests import tasks as request_tasks  # noqa: F401 - registers jobs
    from vouchers.requests import views as request_views
    from vouchers.requests.services import ownership as request_ownership  # noqa: F401 - registers owner rules

    add_pages(app, request_views.bp, decision_views.bp, employer_views.bp, agent_views.bp, banking_views.bp,
              ledger_views.bp, coordinator_views.bp, member_invitation_views.bp, fund_coordinator_views.bp)
    add_api(request_api.blp, employer_api.blp, agent_api.blp, banking_api.blp, ledger_api.blp, coordinator_api.blp)
