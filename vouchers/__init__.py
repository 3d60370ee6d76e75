"""The voucher and its money: requests and decisions (and the mutual insurers' coordinators who file them for
members), vouchers, employers' contributions, the bank, the ledger.

``register`` is how the portal's app factory takes this package in: its pages, its API, who owns its
objects, and its scheduled jobs. Nothing in ``portal`` imports this package otherwise.
"""

from __future__ import annotations

from typing import Any


def register(app: Any) -> None:
    from portal.auth import fas
    from portal.extensions import add_api, add_pages
    from vouchers.banking import api as banking_api
    from vouchers.banking import payout_views, refund_api, refund_views, transfer_api
    from vouchers.banking import tasks as banking_tasks  # noqa: F401 - registers jobs and background tasks
    from vouchers.banking import views as banking_views
    from vouchers.coordinators import api as coordinator_api
    from vouchers.coordinators.views import caseload as coordinator_views
    from vouchers.coordinators.views import fund as fund_coordinator_views
    from vouchers.coordinators.views import members as member_invitation_views
    from vouchers.decisions import views as decision_views
    from vouchers.employers import api as employer_api
    from vouchers.employers import import_api as employer_import_api
    from vouchers.employers import printouts as employer_printouts
    from vouchers.employers import tasks as employer_tasks  # noqa: F401 - registers jobs
    from vouchers.employers import views as employer_views
    from vouchers.employers.agents import api as agent_api
    from vouchers.employers.agents import views as agent_views
    from vouchers.employers.company_access import api as company_access_api
    from vouchers.employers.company_access import fund_views as ownership_letter_views
    from vouchers.employers.company_access import views as company_access_views
    from vouchers.employers.services import ownership as employer_ownership  # noqa: F401 - registers owner rules
    from vouchers.ledger import api as ledger_api
    from vouchers.ledger import journal_views as ledger_journal_views
    from vouchers.ledger import tasks as ledger_tasks  # noqa: F401 - registers jobs
    from vouchers.ledger import views as ledger_views
    from vouchers.requests import api as request_api
    from vouchers.requests import identity_views, path_views
    from vouchers.requests import printouts as request_printouts
    from vouchers.requests import tasks as request_tasks  # noqa: F401 - registers jobs
    from vouchers.requests import views as request_views
    from vouchers.requests.services import ownership as request_ownership  # noqa: F401 - registers owner rules
    from vouchers.requests.services import privacy as request_privacy  # noqa: F401 - registers the person's data

    add_pages(app, request_views.bp, decision_views.bp, employer_views.bp, agent_views.bp, banking_views.bp,
              ledger_views.bp, coordinator_views.bp, member_invitation_views.bp, fund_coordinator_views.bp,
              identity_views.bp, ledger_journal_views.bp)
    add_pages(app, company_access_views.bp, ownership_letter_views.bp)
    add_pages(app, request_printouts.bp, employer_printouts.bp)  # the voucher, decision and receipt to print
    add_pages(app, path_views.bp)  # the short path to a request: its last page, the request on one page (issue 16)
    fas.register_identity_handler(app, identity_views.proven_identity)  # what a sign-in with itsme or eID opens
    add_api(request_api.blp, employer_api.blp, agent_api.blp, banking_api.blp, ledger_api.blp, coordinator_api.blp)
    add_api(company_access_api.blp)
    add_api(employer_import_api.blp)  # large CSV files read in the background (issue 20)
    add_pages(app, payout_views.bp, refund_views.bp)  # payouts followed to the bank, refunds (issue 20)
    add_api(transfer_api.blp, refund_api.blp)
    from vouchers.requests.timeline_words import timeline_steps

    app.jinja_env.filters["timeline_steps"] = timeline_steps  # a request's history in words on its pages
