"""The security matrix: every route (HTML and API) × every role and anonymous, against objects
owned by someone else. The expected outcome of each is kept in TABLE below. The routes come from
the app's URL map, so a new route without a row fails here until someone decides who may use it.

Outcomes: a status code, or
- L: needs a login (anonymous: 302 to the login page for HTML, 401 for the API);
- OK: allowed (the request reaches the view: anything but 401/403/404/405/5xx);
- SKIP: not sent (with the reason beside it).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from portal.permissions import Role
from tests.employers.import_support import import_world
from tests.support.factories import make_employer, make_provider, make_user, new_niss
from tests.support.web import bearer
from tests.vouchers.bank_statements.support import bank_world
from tests.vouchers.payout_support import payout_world

L, OK, SKIP = "L", "OK", "SKIP"
F, N = 403, 404
ROLES = ("anonymous", Role.BENEFICIARY, Role.EMPLOYER, Role.PROVIDER_ADMIN, Role.COACH, Role.FUND_ADMIN,
         Role.COORDINATOR)
PUBLIC = (OK, OK, OK, OK, OK, OK, OK)
ANY_USER = (L, OK, OK, OK, OK, OK, OK)
BENEFICIARY = (L, OK, F, F, F, F, F)
BENEFICIARY_OWN = (L, N, F, F, F, F, F)          # someone else's object
MEMBER_FILE_OWN = (L, N, F, F, F, F, N)          # someone else's file: its member's, or its coordinator's
EMPLOYER = (L, F, OK, F, F, F, F)
EMPLOYER_OWN = (L, F, N, F, F, F, F)
PROVIDER_ADMIN = (L, F, F, OK, F, F, F)
PROVIDER_ADMIN_OWN = (L, F, F, N, F, F, F)
STAFF = (L, F, F, OK, OK, F, F)
STAFF_OWN = (L, F, F, N, N, F, F)
FUND = (L, F, F, F, F, OK, F)
COORDINATOR = (L, F, F, F, F, F, OK)
COORDINATOR_OWN = (L, F, F, F, F, F, N)          # a request another coordinator filed
LOGGED_OUT_ONLY = (OK, 302, 302, 302, 302, 302, 302)  # a logged-in person is sent to their page

# (method, rule): (anonymous, beneficiary, employer, provider_admin, coach, fund_admin, coordinator)
TABLE: dict[tuple[str, str], Any] = {
    # --- public and account pages ---
    ("GET", "/"): (200, 302, 302, 302, 302, 302, 302),
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/help"): PUBLIC,
    ("GET", "/contact"): (302,) * 7,  # to the help page's contact section
    ("GET", "/privacy"): PUBLIC,
    ("GET", "/accessibility"): PUBLIC,
    ("GET", "/terms"): PUBLIC,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("POST", "/language"): PUBLIC,
    ("GET", "/language"): PUBLIC,  # a visitor's choice in a cookie; changes nothing on the server
    ("POST", "/easy-words"): PUBLIC,  # plain-language mode: kept on the account too when signed in
    ("GET", "/easy-words"): PUBLIC,  # a visitor's choice in a cookie, as the language
    ("GET", "/login"): LOGGED_OUT_ONLY,
    ("POST", "/login"): LOGGED_OUT_ONLY,
    ("POST", "/logout"): SKIP,  # it would end the session the other rows use; see tests/portal/test_auth.py
    ("GET", "/register"): LOGGED_OUT_ONLY,
    ("POST", "/register"): LOGGED_OUT_ONLY,
    ("GET", "/register/employer"): LOGGED_OUT_ONLY,
    ("POST", "/register/employer"): LOGGED_OUT_ONLY,
    ("GET", "/confirm/<token>"): (302,) * 7,  # a bad token: back to the login page
    ("POST", "/confirm/resend"): ANY_USER,
    ("GET", "/password/forgot"): PUBLIC,
    ("POST", "/password/forgot"): PUBLIC,
    ("GET", "/password/reset/<token>"): (302,) * 7,
    ("POST", "/password/reset/<token>"): (302,) * 7,
    ("GET", "/account/password"): ANY_USER,
    ("POST", "/account/password"): ANY_USER,
    # Two-step sign-in: the second step of a login that is not under way sends everyone back (tests/portal/test_two_step.py).
    ("GET", "/login/two-step"): (302,) * 7,
    ("POST", "/login/two-step"): (302,) * 7,
    ("GET", "/login/two-step/setup"): (302,) * 7,
    ("POST", "/login/two-step/setup"): (302,) * 7,
    ("GET", "/login/two-step/recovery"): (302,) * 7,
    ("POST", "/login/two-step/recovery"): (302,) * 7,
    ("GET", "/account/two-step"): ANY_USER,
    ("POST", "/account/two-step"): ANY_USER,
    ("POST", "/account/two-step/off"): (L, OK, OK, OK, OK, F, OK),  # a fund administrator cannot turn it off
    ("POST", "/account/two-step/recovery-codes"): ANY_USER,
    ("GET", "/account/two-step/new-app"): ANY_USER,
    ("POST", "/account/two-step/new-app"): ANY_USER,
    ("GET", "/notifications"): ANY_USER,
    ("GET", "/notifications/settings"): ANY_USER,
    ("POST", "/notifications/settings"): ANY_USER,
    ("POST", "/notifications/read"): ANY_USER,
    ("POST", "/notifications/<int:notification_id>/open"): (L, N, N, N, N, N, N),  # someone else's notice
    ("POST", "/requests/<int:request_id>/answer"): BENEFICIARY_OWN,
    ("POST", "/vouchers/<int:voucher_id>/withdraw"): BENEFICIARY_OWN,
    ("POST", "/coach/sessions/<int:session_id>/seats"): STAFF_OWN,
    ("POST", "/coach/sessions/<int:session_id>/seats/<int:voucher_id>/remove"): STAFF_OWN,
    ("GET", "/admin/scheduler"): FUND,
    ("GET", "/eligibility"): PUBLIC,
    ("POST", "/eligibility"): PUBLIC,
    ("GET", "/providers"): PUBLIC,
    ("GET", "/providers/<int:provider_id>"): PUBLIC,
    # --- the beneficiary ---
    ("GET", "/my"): BENEFICIARY,
    ("GET", "/my/sessions"): BENEFICIARY,
    ("POST", "/my/sessions/<int:session_id>/confirm"): BENEFICIARY_OWN,
    ("POST", "/my/sessions/<int:session_id>/dispute"): BENEFICIARY_OWN,
    ("GET", "/request"): BENEFICIARY,
    ("GET", "/request/step/<int:step>"): BENEFICIARY,
    ("POST", "/request/step/<int:step>"): BENEFICIARY,
    ("POST", "/request/submit"): BENEFICIARY,
    ("GET", "/request/send"): BENEFICIARY,
    ("POST", "/request/send"): BENEFICIARY,
    ("GET", "/requests/<int:request_id>"): MEMBER_FILE_OWN,
    ("POST", "/requests/<int:request_id>/withdraw"): BENEFICIARY_OWN,
    ("GET", "/vouchers/<int:voucher_id>"): MEMBER_FILE_OWN,
    ("GET", "/vouchers/<int:voucher_id>/print"): MEMBER_FILE_OWN,
    ("GET", "/requests/<int:request_id>/decision"): MEMBER_FILE_OWN,
    ("POST", "/vouchers/<int:voucher_id>/provider"): BENEFICIARY_OWN,
    ("GET", "/account/data.json"): BENEFICIARY,
    ("GET", "/account/close"): BENEFICIARY,
    ("POST", "/account/close"): BENEFICIARY,
    # --- employers ---
    ("GET", "/employer/"): EMPLOYER,
    ("GET", "/employer/declare"): EMPLOYER,
    ("POST", "/employer/declare"): EMPLOYER,
    ("GET", "/employer/import"): EMPLOYER,
    ("POST", "/employer/import"): EMPLOYER,
    ("GET", "/employer/import/template.csv"): EMPLOYER,
    ("GET", "/employer/import/<int:import_id>"): EMPLOYER_OWN,  # someone else's import
    ("GET", "/employer/declarations/<int:declaration_id>"): EMPLOYER_OWN,
    ("GET", "/employer/declarations/<int:declaration_id>/letter.pdf"): EMPLOYER_OWN,
    ("GET", "/employer/declarations/<int:declaration_id>/receipt.pdf"): EMPLOYER_OWN,
    ("GET", "/employer/declarations/<int:declaration_id>/receipt"): EMPLOYER_OWN,
    ("GET", "/employer/declarations/<int:declaration_id>/pay"): EMPLOYER_OWN,
    ("POST", "/employer/declarations/<int:declaration_id>/pay/confirm"): EMPLOYER_OWN,
    ("POST", "/employer/declarations/<int:declaration_id>/pay/test"): EMPLOYER_OWN,
    ("GET", "/employer/declarations/<int:declaration_id>/payment-return"): EMPLOYER_OWN,
    # --- provider staff ---
    ("GET", "/provider/vouchers"): STAFF,
    ("GET", "/provider/vouchers/<int:voucher_id>"): STAFF_OWN,
    ("POST", "/provider/vouchers/<int:voucher_id>/accept"): PROVIDER_ADMIN_OWN,
    ("GET", "/provider/offers"): PROVIDER_ADMIN,
    ("POST", "/provider/offers"): PROVIDER_ADMIN,
    ("POST", "/provider/offers/standard"): PROVIDER_ADMIN,
    ("GET", "/provider/coaches"): PROVIDER_ADMIN,
    ("POST", "/provider/coaches"): PROVIDER_ADMIN,
    ("GET", "/provider/claims"): PROVIDER_ADMIN,
    ("POST", "/provider/claims/<int:voucher_id>"): PROVIDER_ADMIN_OWN,
    ("GET", "/provider/profile"): PROVIDER_ADMIN,
    ("POST", "/provider/profile"): PROVIDER_ADMIN,
    ("GET", "/provider/contact-points/new"): PROVIDER_ADMIN,
    ("POST", "/provider/contact-points/new"): PROVIDER_ADMIN,
    ("GET", "/provider/contact-points/<int:contact_point_id>"): PROVIDER_ADMIN_OWN,
    ("POST", "/provider/contact-points/<int:contact_point_id>"): PROVIDER_ADMIN_OWN,
    ("POST", "/provider/contact-points/<int:contact_point_id>/remove"): PROVIDER_ADMIN_OWN,
    ("GET", "/provider/catalogue/new"): PROVIDER_ADMIN,
    ("POST", "/provider/catalogue/new"): PROVIDER_ADMIN,
    ("GET", "/provider/catalogue/<int:theme_id>"): PROVIDER_ADMIN_OWN,
    ("POST", "/provider/catalogue/<int:theme_id>"): PROVIDER_ADMIN_OWN,
    ("POST", "/provider/catalogue/<int:theme_id>/remove"): PROVIDER_ADMIN_OWN,
    ("GET", "/coach/week"): STAFF,
    ("POST", "/coach/sessions"): STAFF,
    ("GET", "/coach/sessions/<int:session_id>"): STAFF_OWN,
    ("POST", "/coach/sessions/<int:session_id>/log"): STAFF_OWN,
    ("POST", "/coach/sessions/<int:session_id>/cancel"): STAFF_OWN,
    ("POST", "/coach/calendar/<int:coach_id>/reset"): STAFF_OWN,
    # --- the fund ---
    ("GET", "/admin/requests"): FUND,
    ("GET", "/admin/requests/<int:request_id>"): FUND,
    ("POST", "/admin/requests/<int:request_id>/decision"): FUND,
    ("GET", "/admin/fund/"): FUND,
    ("GET", "/admin/fund/balance"): FUND,
    ("GET", "/admin/fund/providers"): FUND,
    ("GET", "/admin/fund/providers/new"): FUND,
    ("POST", "/admin/fund/providers/new"): FUND,
    ("GET", "/admin/fund/providers/<int:provider_id>/delist"): FUND,
    ("POST", "/admin/fund/providers/<int:provider_id>/delist"): FUND,
    ("GET", "/admin/fund/providers/<int:provider_id>/edit"): FUND,
    ("POST", "/admin/fund/providers/<int:provider_id>/edit"): FUND,
    ("GET", "/admin/fund/claims"): FUND,
    ("GET", "/admin/fund/claims/<int:claim_id>"): FUND,
    ("POST", "/admin/fund/claims/<int:claim_id>/approve"): FUND,
    ("POST", "/admin/fund/claims/<int:claim_id>/reject"): FUND,
    ("GET", "/admin/fund/payouts"): FUND,
    ("POST", "/admin/fund/payouts"): FUND,
    ("GET", "/admin/fund/payouts/<int:batch_id>"): FUND,
    ("GET", "/admin/fund/payouts/<int:batch_id>/pain.001.xml"): FUND,
    ("POST", "/admin/fund/payouts/<int:batch_id>/mark-paid"): FUND,
    ("GET", "/admin/fund/audit"): FUND,
    # --- the API ---
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): SKIP,  # it would revoke the token the other rows use; see test_auth.py
    ("GET", "/api/v1/me"): ANY_USER,
    ("GET", "/api/v1/notifications"): ANY_USER,
    ("POST", "/api/v1/notifications/<int:notification_id>/read"): (L, N, N, N, N, N, N),
    ("POST", "/api/v1/eligibility"): PUBLIC,
    ("POST", "/api/v1/beneficiaries"): PUBLIC,
    ("POST", "/api/v1/employers"): PUBLIC,
    ("GET", "/api/v1/providers"): PUBLIC,
    ("GET", "/api/v1/providers/<int:provider_id>"): PUBLIC,
    ("POST", "/api/v1/voucher-requests"): BENEFICIARY,
    ("GET", "/api/v1/voucher-requests/<int:request_id>"): (L, N, N, N, N, OK, N),
    ("POST", "/api/v1/voucher-requests/<int:request_id>/withdraw"): BENEFICIARY_OWN,
    ("POST", "/api/v1/voucher-requests/<int:request_id>/complete"): MEMBER_FILE_OWN,
    ("POST", "/api/v1/vouchers/<int:voucher_id>/withdraw"): BENEFICIARY_OWN,
    ("GET", "/api/v1/vouchers/<int:voucher_id>"): (L, N, N, N, N, OK, N),
    ("POST", "/api/v1/sessions/<int:session_id>/confirm"): BENEFICIARY_OWN,
    ("POST", "/api/v1/sessions/<int:session_id>/dispute"): BENEFICIARY_OWN,
    ("GET", "/api/v1/provider/offers"): STAFF,
    ("POST", "/api/v1/provider/offers"): PROVIDER_ADMIN,
    ("POST", "/api/v1/provider/coaches"): PROVIDER_ADMIN,
    ("GET", "/api/v1/provider/coaches"): STAFF,
    ("GET", "/api/v1/provider/vouchers"): STAFF,
    ("POST", "/api/v1/provider/vouchers/<int:voucher_id>/accept"): PROVIDER_ADMIN_OWN,
    ("POST", "/api/v1/sessions"): STAFF,
    ("GET", "/api/v1/sessions/<int:session_id>"): STAFF_OWN,
    ("POST", "/api/v1/sessions/<int:session_id>/log"): STAFF_OWN,
    ("POST", "/api/v1/sessions/<int:session_id>/cancel"): STAFF_OWN,
    ("POST", "/api/v1/sessions/<int:session_id>/seats"): STAFF_OWN,
    ("DELETE", "/api/v1/sessions/<int:session_id>/seats/<int:voucher_id>"): STAFF_OWN,
    ("GET", "/api/v1/coaches/<int:coach_id>/calendar.ics"): (N,) * 7,  # without its secret token
    ("POST", "/api/v1/provider/claims"): PROVIDER_ADMIN,
    ("GET", "/api/v1/provider/claims"): PROVIDER_ADMIN,
    ("POST", "/api/v1/dismissals"): EMPLOYER,
    ("GET", "/api/v1/dismissals"): EMPLOYER,
    ("POST", "/api/v1/dismissals/import"): EMPLOYER,
    ("GET", "/api/v1/dismissals/imports/<int:import_id>"): EMPLOYER_OWN,
    ("GET", "/api/v1/dismissals/<int:declaration_id>"): EMPLOYER_OWN,
    ("POST", "/api/v1/dismissals/<int:declaration_id>/payment-intent"): EMPLOYER_OWN,
    ("GET", "/api/v1/dismissals/<int:declaration_id>/letter.pdf"): EMPLOYER_OWN,
    ("GET", "/api/v1/dismissals/<int:declaration_id>/receipt.pdf"): EMPLOYER_OWN,
    ("POST", "/api/v1/webhooks/stripe"): SKIP,  # signed by Stripe only; tests/employers/test_webhook.py
    ("GET", "/api/v1/admin/voucher-requests"): FUND,
    ("POST", "/api/v1/admin/voucher-requests/<int:request_id>/decision"): FUND,
    ("GET", "/api/v1/admin/claims"): FUND,
    ("POST", "/api/v1/admin/claims/<int:claim_id>/approve"): FUND,
    ("POST", "/api/v1/admin/claims/<int:claim_id>/reject"): FUND,
    ("GET", "/api/v1/admin/providers"): FUND,
    ("POST", "/api/v1/admin/providers"): FUND,
    ("POST", "/api/v1/admin/providers/<int:provider_id>/delist"): FUND,
    ("PATCH", "/api/v1/admin/providers/<int:provider_id>"): FUND,
    ("POST", "/api/v1/admin/payout-batches"): FUND,
    ("GET", "/api/v1/admin/payout-batches"): FUND,
    ("GET", "/api/v1/admin/payout-batches/<int:batch_id>"): FUND,
    ("GET", "/api/v1/admin/payout-batches/<int:batch_id>/pain.001.xml"): FUND,
    ("POST", "/api/v1/admin/payout-batches/<int:batch_id>/mark-paid"): FUND,
    # --- payouts followed to the bank, refunds of contributions (issue 20; vouchers/banking/payout_*, refund_*) ---
    ("GET", "/admin/fund/payout-transfers/<int:transfer_id>"): FUND,
    ("POST", "/admin/fund/payout-transfers/<int:transfer_id>"): FUND,
    ("GET", "/admin/fund/payout-status-reports"): FUND,
    ("POST", "/admin/fund/payout-status-reports"): FUND,
    ("GET", "/admin/fund/payout-status-reports/<int:report_id>"): FUND,
    ("GET", "/admin/fund/refunds"): FUND,
    ("GET", "/admin/fund/refunds/new"): FUND,
    ("POST", "/admin/fund/refunds/new"): FUND,
    ("GET", "/admin/fund/refunds/<int:refund_id>"): FUND,
    ("POST", "/admin/fund/refunds/<int:refund_id>/approve"): FUND,
    ("POST", "/admin/fund/refunds/<int:refund_id>/refuse"): FUND,
    ("POST", "/admin/fund/refunds/<int:refund_id>/mark-paid"): FUND,
    ("GET", "/admin/fund/refunds/<int:refund_id>/pain.001.xml"): FUND,
    ("GET", "/api/v1/admin/payout-transfers"): FUND,
    ("GET", "/api/v1/admin/payout-transfers/<int:transfer_id>"): FUND,
    ("POST", "/api/v1/admin/payout-transfers/<int:transfer_id>/return"): FUND,
    ("POST", "/api/v1/admin/payout-status-reports"): FUND,
    ("GET", "/api/v1/admin/payout-status-reports"): FUND,
    ("GET", "/api/v1/admin/payout-status-reports/<int:report_id>"): FUND,
    ("POST", "/api/v1/admin/contribution-refunds"): FUND,
    ("GET", "/api/v1/admin/contribution-refunds"): FUND,
    ("GET", "/api/v1/admin/contribution-refunds/<int:refund_id>"): FUND,
    ("POST", "/api/v1/admin/contribution-refunds/<int:refund_id>/approve"): FUND,
    ("POST", "/api/v1/admin/contribution-refunds/<int:refund_id>/refuse"): FUND,
    ("POST", "/api/v1/admin/contribution-refunds/<int:refund_id>/mark-paid"): FUND,
    ("GET", "/api/v1/admin/contribution-refunds/<int:refund_id>/pain.001.xml"): FUND,
    ("GET", "/api/v1/admin/fund-position"): FUND,
    ("GET", "/api/v1/admin/audit"): FUND,
    # --- bank statements: CAMT.053 import and the queue of unmatched lines (issue 7) ---
    ("GET", "/admin/fund/bank-statements"): FUND,
    ("POST", "/admin/fund/bank-statements"): FUND,
    ("GET", "/admin/fund/bank-statements/<int:statement_id>"): FUND,
    ("GET", "/admin/fund/bank-lines"): FUND,
    ("GET", "/admin/fund/bank-lines/<int:line_id>"): FUND,
    ("POST", "/admin/fund/bank-lines/<int:line_id>/match"): FUND,
    ("POST", "/admin/fund/bank-lines/<int:line_id>/dismiss"): FUND,
    ("POST", "/api/v1/admin/bank-statements"): FUND,
    ("GET", "/api/v1/admin/bank-statements"): FUND,
    ("GET", "/api/v1/admin/bank-statements/<int:statement_id>"): FUND,
    ("GET", "/api/v1/admin/bank-lines"): FUND,
    ("GET", "/api/v1/admin/bank-lines/<int:line_id>"): FUND,
    ("POST", "/api/v1/admin/bank-lines/<int:line_id>/match"): FUND,
    ("POST", "/api/v1/admin/bank-lines/<int:line_id>/dismiss"): FUND,
    # --- coaching: availability, disputes, offer deactivation (issue 5, calendar editing) ---
    ("GET", "/coach/availability"): STAFF,
    ("GET", "/coach/availability/<int:coach_id>"): STAFF_OWN,
    ("POST", "/coach/availability/<int:coach_id>"): STAFF_OWN,
    ("POST", "/coach/availability/<int:coach_id>/exceptions"): STAFF_OWN,
    ("POST", "/coach/availability/<int:coach_id>/exceptions/<int:exception_id>/delete"): STAFF_OWN,
    ("GET", "/api/v1/coaches/<int:coach_id>/availability"): STAFF_OWN,
    ("PUT", "/api/v1/coaches/<int:coach_id>/availability"): STAFF_OWN,
    ("POST", "/api/v1/coaches/<int:coach_id>/availability/exceptions"): STAFF_OWN,
    ("DELETE", "/api/v1/coaches/<int:coach_id>/availability/exceptions/<int:exception_id>"): STAFF_OWN,
    ("GET", "/api/v1/coaches/<int:coach_id>/availability/intervals"): STAFF_OWN,
    ("GET", "/provider/disputes"): PROVIDER_ADMIN,
    ("GET", "/provider/disputes/<int:dispute_id>"): PROVIDER_ADMIN_OWN,
    ("POST", "/provider/disputes/<int:dispute_id>/accept"): PROVIDER_ADMIN_OWN,
    ("POST", "/provider/disputes/<int:dispute_id>/escalate"): PROVIDER_ADMIN_OWN,
    ("GET", "/admin/fund/disputes"): FUND,
    ("GET", "/admin/fund/disputes/<int:dispute_id>"): FUND,
    ("POST", "/admin/fund/disputes/<int:dispute_id>/decision"): FUND,
    ("GET", "/api/v1/provider/disputes"): PROVIDER_ADMIN,
    ("GET", "/api/v1/provider/disputes/<int:dispute_id>"): PROVIDER_ADMIN_OWN,
    ("POST", "/api/v1/provider/disputes/<int:dispute_id>/accept"): PROVIDER_ADMIN_OWN,
    ("POST", "/api/v1/provider/disputes/<int:dispute_id>/escalate"): PROVIDER_ADMIN_OWN,
    ("GET", "/api/v1/admin/disputes"): FUND,
    ("GET", "/api/v1/admin/disputes/<int:dispute_id>"): FUND,
    ("POST", "/api/v1/admin/disputes/<int:dispute_id>/decision"): FUND,
    ("POST", "/provider/offers/<int:offer_id>/deactivate"): PROVIDER_ADMIN_OWN,
    ("POST", "/provider/offers/<int:offer_id>/reactivate"): PROVIDER_ADMIN_OWN,
    ("POST", "/api/v1/provider/offers/<int:offer_id>/deactivate"): PROVIDER_ADMIN_OWN,
    ("POST", "/api/v1/provider/offers/<int:offer_id>/reactivate"): PROVIDER_ADMIN_OWN,
    # --- reconciliation and reports (issue 7; vouchers/reconciliation_views.py, reconciliation_api.py) ---
    ("GET", "/admin/fund/reconciliation"): FUND,
    ("GET", "/admin/fund/reconciliation/rows"): (L, F, F, F, F, N, F),  # without ?figure= there is nothing to list
    ("GET", "/admin/fund/reports"): FUND,
    ("GET", "/admin/fund/reports/<name>"): FUND,
    ("GET", "/api/v1/admin/reconciliation"): FUND,
    ("GET", "/api/v1/admin/reconciliation/rows"): FUND,
    ("GET", "/api/v1/admin/reports/<name>.csv"): FUND,
    # --- the ledger: its journal, an entry and its corrections (issue 20; vouchers/ledger/journal_views.py, api.py) ---
    ("GET", "/admin/fund/ledger/journal"): FUND,
    ("GET", "/admin/fund/ledger/entries/<int:entry_id>"): FUND,
    ("POST", "/admin/fund/ledger/entries/<int:entry_id>/correct"): FUND,
    ("GET", "/api/v1/admin/ledger/journal.csv"): FUND,
    ("GET", "/api/v1/admin/ledger/entries/<int:entry_id>"): FUND,
    ("POST", "/api/v1/admin/ledger/entries/<int:entry_id>/corrections"): FUND,
    # --- employers: agents (social secretariats) linked, listed, removed (issue 6; vouchers/employers/agent*) ---
    ("GET", "/employer/agents"): EMPLOYER,
    ("POST", "/employer/agents"): EMPLOYER,
    ("GET", "/employer/colleagues"): EMPLOYER,
    ("POST", "/employer/colleagues"): EMPLOYER,
    ("POST", "/employer/agents/<int:agent_id>/remove"): EMPLOYER_OWN,
    ("GET", "/api/v1/employer/agents"): EMPLOYER,
    ("POST", "/api/v1/employer/agents"): EMPLOYER,
    ("POST", "/api/v1/employer/users"): EMPLOYER,
    ("DELETE", "/api/v1/employer/agents/<int:agent_id>"): EMPLOYER_OWN,
    ("GET", "/api/v1/employer/employers"): EMPLOYER,
    # --- employers: agents invited by e-mail, never linked directly (vouchers/employers/agent_invitations.py) ---
    ("POST", "/employer/agents/invitations/<int:invitation_id>/cancel"): EMPLOYER_OWN,
    ("DELETE", "/api/v1/employer/agents/invitations/<int:invitation_id>"): EMPLOYER_OWN,
    ("GET", "/employer/agents/accept/<token>"): (N,) * 7,  # a bad link: a page saying so, for everyone
    ("POST", "/employer/agents/accept/<token>"): (N,) * 7,
    # --- employers: the confirmed address, the letter with a code to the registered office (company_access/) ---
    ("GET", "/employer/confirm-email"): EMPLOYER,
    ("POST", "/employer/confirm-email"): EMPLOYER,
    ("GET", "/employer/confirm/<token>"): (302,) * 7,  # a bad link: back to the login page
    ("GET", "/employer/ownership"): EMPLOYER,
    ("POST", "/employer/ownership/<int:ownership_claim_id>/code"): EMPLOYER_OWN,
    ("POST", "/employer/ownership/<int:ownership_claim_id>/letter"): EMPLOYER_OWN,
    ("POST", "/api/v1/employer/confirmation-email"): EMPLOYER,
    ("GET", "/api/v1/employer/ownership-claims"): EMPLOYER,
    ("POST", "/api/v1/employer/ownership-claims/<int:ownership_claim_id>/code"): EMPLOYER_OWN,
    ("POST", "/api/v1/employer/ownership-claims/<int:ownership_claim_id>/letter"): EMPLOYER_OWN,
    ("GET", "/admin/fund/ownership-letters/"): FUND,
    ("GET", "/admin/fund/ownership-letters/<int:ownership_claim_id>/letter.pdf"): FUND,
    ("POST", "/admin/fund/ownership-letters/<int:ownership_claim_id>/address"): FUND,
    ("POST", "/admin/fund/ownership-letters/<int:ownership_claim_id>/sent"): FUND,
    # --- return-to-work coordinators of the mutual insurers (issue 17; vouchers/coordinators/) ---
    ("GET", "/coordinator/"): COORDINATOR,
    ("GET", "/coordinator/requests/new"): COORDINATOR,
    ("POST", "/coordinator/requests/new"): COORDINATOR,
    ("GET", "/coordinator/requests/<int:request_id>"): COORDINATOR_OWN,
    ("POST", "/coordinator/requests/<int:request_id>/answer"): COORDINATOR_OWN,
    ("POST", "/coordinator/requests/<int:request_id>/invite"): COORDINATOR_OWN,
    ("GET", "/api/v1/coordinator/requests"): COORDINATOR,
    ("POST", "/api/v1/coordinator/requests"): COORDINATOR,
    ("GET", "/admin/fund/coordinators"): FUND,
    ("POST", "/admin/fund/coordinators"): FUND,
    ("GET", "/join/<token>"): (N,) * 7,  # a bad link: a page saying so, for everyone
    ("POST", "/join/<token>"): (N,) * 7,
    # Without the link: only a member whose proven NISS is the invitation's; anyone else, the same 404.
    ("GET", "/join/proven/<int:invitation_id>"): (L, N, N, N, N, N, N),
    ("POST", "/join/proven/<int:invitation_id>"): (L, N, N, N, N, N, N),
    # --- sign-in with itsme or eID (not configured here: no such pages), a self-registration, the address ---
    ("GET", "/login/fas"): (N,) * 7,
    ("GET", "/login/fas/callback"): (N,) * 7,
    ("GET", "/login/fas/complete"): (302,) * 7,  # no identity proven in this browser: back to the login page
    ("POST", "/login/fas/complete"): (302,) * 7,
    ("GET", "/login/fas/link"): (L, 302, 302, 302, 302, 302, 302),
    ("GET", "/register/sent"): PUBLIC,
    ("POST", "/my/confirmation-email"): BENEFICIARY,
    ("POST", "/api/v1/beneficiary/confirmation-email"): BENEFICIARY,
    ("GET", "/api/v1/beneficiary/declared-dismissal"): BENEFICIARY_OWN,  # no proven NISS: nothing to see
}


# Valid bodies where the shape is checked before the object is looked up, so the row tests the owner check.
BODIES: dict[str, Any] = {
    "/api/v1/coaches/<int:coach_id>/availability": {"weekly": []},
    "/api/v1/employer/ownership-claims/<int:ownership_claim_id>/code": {"code": "ABCDE-23456"},
    "/api/v1/coaches/<int:coach_id>/availability/exceptions": {"from_on": "2030-01-07"},
    "/api/v1/provider/disputes/<int:dispute_id>/accept": {"attendance": "no_show"},
    "/api/v1/provider/disputes/<int:dispute_id>/escalate": {"note": "The log is right."},
    "/api/v1/provider/vouchers/<int:voucher_id>/accept": {"offer_id": 1},
    "/api/v1/sessions/<int:session_id>/dispute": {"reason": "I was not there"},
    "/api/v1/sessions/<int:session_id>/log": {"attendance": {"1": "attended"}, "duration_minutes": 60},
    "/api/v1/sessions/<int:session_id>/seats": {"voucher_id": 1},
    "/api/v1/voucher-requests/<int:request_id>/complete": {"answer": "Here it is."},
}


def app_routes(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_has_a_row(app):
    routes = app_routes(app)
    missing = sorted(routes - set(TABLE))
    stale = sorted(set(TABLE) - routes)
    assert not missing, f"routes without a row in the security matrix: {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"


@pytest.fixture
def world(db_session) -> dict[str, int]:
    """Objects that belong to other people: the ids every route is called with."""
    from coaching.calendar.models import CoachingSession, SessionSeat
    from coaching.claims.models import Claim, ClaimLine
    from coaching.marketplace.models import CatalogueTheme, ContactPoint
    from coaching.providers.models import Coach
    from portal.clock import today_in_brussels
    from vouchers.banking.models import PayoutBatch
    from vouchers.employers.models import Contribution, Declaration
    from vouchers.requests.models import Beneficiary, Voucher, VoucherRequest

    today = today_in_brussels()
    provider = make_provider(db_session)
    make_user(db_session, Role.PROVIDER_ADMIN, provider_id=provider.id)  # the provider has its own admin
    coach_user = make_user(db_session, Role.COACH, provider_id=provider.id)
    coach = Coach(provider_id=provider.id, user_id=coach_user.id, display_name="Other coach", email=coach_user.email)
    owner = make_user(db_session, Role.BENEFICIARY)
    profile = db_session.query(Beneficiary).filter_by(user_id=owner.id).one()
    # Filed by another coordinator for its member: the callers' own coordinator must not reach it.
    other_coordinator = make_user(db_session, Role.COORDINATOR)
    request = VoucherRequest(beneficiary_id=profile.id, provider_id=provider.id, status="approved", route="A",
                             initiative="coordinator", submitted_on=today, decision_due_on=today + timedelta(days=45),
                             coordinator_id=other_coordinator.id, consent_on=today)
    db_session.add_all([coach, request])
    db_session.flush()
    voucher = Voucher(code="TNW-OTHR-0001", request_id=request.id, beneficiary_id=profile.id, provider_id=provider.id,
                      status="in_progress", value_cents=180000, valid_from_on=today,
                      valid_until_on=today + timedelta(days=180), issued_on=today, individual_hours=9,
                      collective_sessions=3, individual_unit_cents=15000, collective_unit_cents=15000)
    db_session.add(voucher)
    db_session.flush()
    start = datetime.now(UTC) - timedelta(days=2)
    session = CoachingSession(provider_id=provider.id, coach_id=coach.id, kind="individual", starts_at=start,
                              ends_at=start + timedelta(hours=1), duration_minutes=60, status="logged")
    db_session.add(session)
    db_session.flush()
    seat = SessionSeat(session_id=session.id, voucher_id=voucher.id, attendance="attended", cost_cents=15000,
                       confirmation="pending", confirm_by_on=today + timedelta(days=5))
    claim = Claim(provider_id=provider.id, voucher_id=voucher.id, amount_cents=15000, status="submitted")
    db_session.add_all([seat, claim])
    db_session.flush()
    db_session.add(ClaimLine(claim_id=claim.id, seat_id=seat.id, amount_cents=15000))
    point = ContactPoint(provider_id=provider.id, name="Other office", postcode="1000", municipality="Bruxelles",
                         municipality_key="bruxelles", region="brussels", languages="fr")
    theme = CatalogueTheme(provider_id=provider.id, title="Job search", kind="individual", language="fr")
    employer = make_employer(db_session)
    employer_user = make_user(db_session, Role.EMPLOYER, employer_id=employer.id)
    declaration = Declaration(employer_id=employer.id, declared_by_id=employer_user.id, worker_first_name="Ana",
                              worker_last_name="Worker", worker_niss=new_niss(), contract_end_on=today,
                              declared_on=today, declaration_due_on=today + timedelta(days=45))
    db_session.add_all([point, theme, declaration])
    db_session.flush()
    db_session.add(Contribution(declaration_id=declaration.id, amount_cents=180000, due_on=today + timedelta(days=45),
                                structured_reference="090933755493"))
    batch = PayoutBatch(created_by=None, total_cents=15000, claim_count=1, execution_on=today, message_id="TNW-MATRIX-1",
                        xml="<Document/>")
    db_session.add(batch)
    db_session.flush()
    from coaching.availability.models import AvailabilityException
    from coaching.disputes.models import SessionDispute
    from coaching.providers.models import Offer

    exception = AvailabilityException(coach_id=coach.id, on_date=today + timedelta(days=7),
                                      until_on=today + timedelta(days=7))
    disputed = CoachingSession(provider_id=provider.id, coach_id=coach.id, kind="individual",
                               starts_at=start - timedelta(days=1), ends_at=start - timedelta(hours=23),
                               duration_minutes=60, logged_minutes=60, status="logged")
    offer = Offer(provider_id=provider.id, name="Other offer", individual_hours=12, collective_sessions=0,
                  individual_unit_cents=15000, collective_unit_cents=15000)
    db_session.add_all([exception, disputed, offer])
    db_session.flush()
    disputed_seat = SessionSeat(session_id=disputed.id, voucher_id=voucher.id, attendance="attended",
                                cost_cents=15000, confirmation="disputed", dispute_reason="I was not there")
    db_session.add(disputed_seat)
    db_session.flush()
    dispute = SessionDispute(seat_id=disputed_seat.id, provider_id=provider.id, status="escalated",
                             escalated_at=datetime.now(UTC), escalation_note="The log is right.")
    db_session.add(dispute)
    db_session.flush()
    from vouchers.employers.models import EmployerAgent

    agent_link = EmployerAgent(agent_user_id=make_user(db_session, Role.EMPLOYER, employer_id=None).id,
                               employer_id=employer.id)  # the other employer's agent
    db_session.add(agent_link)
    from vouchers.employers.models import EmployerAgentInvitation

    invitation = EmployerAgentInvitation(employer_id=employer.id, email="clerk@other-secretariat.example.be",
                                         invited_by_id=employer_user.id)  # the other employer's invitation
    db_session.add(invitation)
    from vouchers.employers.company_access.claims import open_claim

    claimant = make_user(db_session, Role.EMPLOYER, employer_id=None)  # someone else's letter, still to send
    ownership_claim = open_claim(db_session, claimant, employer, {}, now=datetime.now(UTC))
    from portal.notifications.services import notify, page

    notify(db_session, [owner], "request_waitlisted", link=page("vouchers.dashboard"))  # the owner's notice
    db_session.flush()
    from portal.notifications.models import Notification

    notice_id = db_session.query(Notification.id).filter_by(user_id=owner.id).scalar()
    from vouchers.ledger.services.entries import record_funding

    entry = record_funding(db_session, amount_cents=100, booked_on=today, memo="matrix")  # a ledger entry
    db_session.flush()
    return {"notification_id": notice_id, "exception_id": exception.id, "dispute_id": dispute.id, "offer_id": offer.id,
            "request_id": request.id, "voucher_id": voucher.id, "session_id": session.id, "claim_id": claim.id,
            "coach_id": coach.id, "provider_id": provider.id, "declaration_id": declaration.id,
            "contact_point_id": point.id, "theme_id": theme.id, "batch_id": batch.id, "step": 1, "token": "bogus",
            "name": "money-in-out", "entry_id": entry.id, "agent_id": agent_link.id, "invitation_id": invitation.id,
            "ownership_claim_id": ownership_claim.id,
            **bank_world(db_session), **import_world(db_session), **payout_world(db_session, batch_id=batch.id, claim_id=claim.id)}


@pytest.fixture
def callers(app, db_session) -> dict[Any, dict[str, Any]]:
    """One client per role, each belonging to its own organisation (not the world's)."""
    from coaching.providers.models import Coach
    from portal.extensions import limiter
    from tests.support.web import login

    result: dict[Any, dict[str, Any]] = {"anonymous": {"client": app.test_client(), "headers": {}}}
    for role in ROLES[1:]:
        user = make_user(db_session, role, language="en")
        if role == Role.COACH:  # a coach has a calendar of their own provider
            db_session.add(Coach(provider_id=user.provider_id, user_id=user.id, display_name="Own coach",
                                 email=user.email))
            db_session.flush()
        client = app.test_client()
        login(client, user.email)
        result[role] = {"client": client, "headers": bearer(app.test_client(), user.email)}
    limiter.reset()  # the logins above count against the per-address login limit
    return result


_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _csrf(client: FlaskClient) -> str:
    for page in ("/account/password", "/login"):
        match = _TOKEN.search(client.get(page, follow_redirects=True).get_data(as_text=True))
        if match:
            return match.group(1)
    raise AssertionError("no CSRF token")


def _expected(outcome: Any, *, api: bool) -> Any:
    if outcome == L:
        return 401 if api else 302
    return outcome


def test_the_matrix(app, db_session, world, callers):
    routes = sorted(app_routes(app))
    problems = []
    for method, rule in routes:
        row = TABLE.get((method, rule))
        if row is None or row == SKIP:
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(world[m.group(1)]), rule)
        api = rule.startswith("/api/")
        for role, outcome in zip(ROLES, row, strict=True):
            caller = callers[role]
            client: FlaskClient = caller["client"]
            if api:
                response = client.open(path, method=method, headers=caller["headers"],
                                       json=BODIES.get(rule, {}) if method in ("POST", "PUT", "PATCH") else None)
            elif method == "POST":
                response = client.post(path, data={"csrf_token": _csrf(client)})
            else:
                response = client.get(path)
            status = response.status_code
            expected = _expected(outcome, api=api)
            if expected == OK:
                good = status not in (401, 403, 404, 405) and status < 500
            else:
                good = status == expected
            if not good:
                name = role if isinstance(role, str) else role.value
                problems.append(f"{method} {rule} as {name}: got {status}, expected {expected}")
    assert not problems, "\n".join(problems)
