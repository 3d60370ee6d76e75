"""The requests bench/load_bench.py sends to each key page: many people and objects, never one URL again and again.

Each page gets a list of (path, headers), one per person or object (or page of a list), built in-process: the
people log in through the real login page (and the fund's administrator through its second step), and get their
bearer tokens from ``POST /api/v1/auth/token``; the sessions live in the servers' Redis, so the same cookies work on
the servers. Lists that belong to one person (the fund's queue, the employer's declarations) rotate over their
filters and their pages instead, found by following each page's "next" link or ``next_cursor``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

PASSWORD = "bench-password"
USER_AGENT = "tnw-load-bench"  # the same for the logins and for wrk: Flask-Login's session protection sees one client
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_NEXT_LINK = re.compile(r'href="([^"]+)" rel="next"')
_OLDER_LINK = re.compile(r'href="(/employer/\?[^"]*cursor=[^"]+)"')
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Page:
    label: str
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    api: bool = False

    @property
    def budget(self) -> int:
        return 3 if self.api else 5


class People:
    """Logs people in once (in-process, through the real pages) and keeps their cookie and token."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.cookies: dict[str, dict[str, str]] = {}
        self.tokens: dict[str, dict[str, str]] = {}

    def _code(self, email: str) -> str | None:
        import pyotp

        from portal.auth.models import User
        from portal.db import db

        with self.app.app_context():
            user = db.session.scalar(User.by_email(email))
            if user is None or not user.totp_secret:
                return None
            user.totp_last_step = None  # each bench login may use the current step's code again
            db.session.commit()
            return pyotp.TOTP(user.totp_secret).now()

    def cookie(self, email: str) -> dict[str, str]:
        if email not in self.cookies:
            client = self.app.test_client()
            client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
            token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
            answer = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
            if answer.headers.get("Location", "").endswith("/login/two-step"):
                step = client.get("/login/two-step").get_data(as_text=True)
                answer = client.post("/login/two-step", data={"code": self._code(email),
                                                              "csrf_token": _CSRF.search(step).group(1)})  # type: ignore[union-attr]
            if answer.status_code != 302:
                raise RuntimeError(f"login as {email} answered {answer.status_code}")
            cookie = client.get_cookie("session")
            self.cookies[email] = {"Cookie": f"session={cookie.value}"}  # type: ignore[union-attr]
        return self.cookies[email]

    def token(self, email: str) -> dict[str, str]:
        if email not in self.tokens:
            body = {"email": email, "password": PASSWORD}
            code = self._code(email)
            if code:
                body["otp"] = code
            answer = self.app.test_client().post("/api/v1/auth/token", json=body,
                                                 headers={"User-Agent": USER_AGENT})
            if answer.status_code != 201:
                raise RuntimeError(f"token for {email}: {answer.status_code} {answer.get_data(as_text=True)[:200]}")
            self.tokens[email] = {"Authorization": f"Bearer {answer.get_json()['token']}"}
        return self.tokens[email]


def _pages_of(app: Any, first: str, headers: dict[str, str], most: int, pattern: re.Pattern[str] = _NEXT_LINK) -> list[str]:
    """``first`` and the pages after it, following their "next" links (at most ``most``)."""
    found, path = [], first
    client = app.test_client(use_cookies=False)
    while path and len(found) < most:
        found.append(path)
        answer = client.get(path, headers={"User-Agent": USER_AGENT, **headers})
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path} answered {answer.status_code}")
        link = pattern.search(answer.get_data(as_text=True))
        path = link.group(1).replace("&amp;", "&") if link else ""
    return found


def _api_pages_of(app: Any, first: str, headers: dict[str, str], most: int) -> list[str]:
    found, path = [], first
    client = app.test_client(use_cookies=False)
    while path and len(found) < most:
        found.append(path)
        answer = client.get(path, headers={"User-Agent": USER_AGENT, **headers})
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path} answered {answer.status_code}")
        cursor = answer.get_json().get("next_cursor")
        path = f"{first}{'&' if '?' in first else '?'}cursor={cursor}" if cursor else ""
    return found


def build_pages(app: Any, data: dict[str, Any], people_count: int) -> list[Page]:
    """The key pages and their API twins, each with its rotation (``people_count`` people or objects at least,
    where the data has that many)."""
    people = People(app)
    holders = data["holders"][:people_count]  # vouchers in use: voucher v is beneficiary v's (bench/seed_national.py)
    pages = [Page("/my (beneficiary)"), Page("/vouchers/{id} (beneficiary)"),
             Page("/api/v1/vouchers/{id} (beneficiary)", api=True),
             Page("/api/v1/voucher-requests/{id} (beneficiary)", api=True)]
    for holder in holders:
        email = f"person{holder}@bench.tnw.be"
        cookie, token = people.cookie(email), people.token(email)
        pages[0].requests.append(("/my", cookie))
        pages[1].requests.append((f"/vouchers/{holder}", cookie))
        pages[2].requests.append((f"/api/v1/vouchers/{holder}", token))
        pages[3].requests.append((f"/api/v1/voucher-requests/{holder}", token))

    week = Page("/coach/week?coach_id={id} (provider admin)")
    for coach, provider in data["week_coaches"][:people_count]:  # coaches with sessions this week
        week.requests.append((f"/coach/week?coach_id={coach}", people.cookie(f"admin{provider}@bench.tnw.be")))
    pages.append(week)

    vouchers, vouchers_api = Page("/provider/vouchers (provider admin)"), Page("/api/v1/provider/vouchers", api=True)
    for provider in range(1, data["voucher_providers"] + 1):
        email = f"admin{provider}@bench.tnw.be"
        cookie, token = people.cookie(email), people.token(email)
        vouchers.requests += [(path, cookie) for path in _pages_of(app, "/provider/vouchers", cookie, 12)]
        vouchers_api.requests += [(path, token) for path in _api_pages_of(app, "/api/v1/provider/vouchers", token, 12)]
    pages += [vouchers, vouchers_api]

    clerk = data["employer_email"]
    employer, dismissals = Page("/employer/ (payroll clerk)"), Page("/api/v1/dismissals (payroll clerk)", api=True)
    for query in ("", "?status=due", "?status=paid", "?overdue=true", "?status=partially_paid"):
        employer.requests += [(p, people.cookie(clerk))
                              for p in _pages_of(app, f"/employer/{query}", people.cookie(clerk), 25, _OLDER_LINK)]
        dismissals.requests += [(p, people.token(clerk))
                                for p in _api_pages_of(app, f"/api/v1/dismissals{query}", people.token(clerk), 25)]
    pages += [employer, dismissals]

    fund = data["admin_email"]
    queue, queue_api = Page("/admin/requests (fund admin)"), Page("/api/v1/admin/voucher-requests", api=True)
    for query in ("", "?status=info_requested", "?status=waitlisted", "?status=submitted&route=A",
                  "?status=submitted&overdue=y", "?status=rejected", "?status=approved"):
        queue.requests += [(p, people.cookie(fund)) for p in _pages_of(app, f"/admin/requests{query}",
                                                                         people.cookie(fund), 40)]
    for query in ("?status=submitted", "?status=info_requested", "?status=waitlisted", "?route=A", "?overdue=true",
                  "?status=approved"):
        queue_api.requests += [(p, people.token(fund)) for p in _api_pages_of(
            app, f"/api/v1/admin/voucher-requests{query}", people.token(fund), 40)]
    pages += [queue, queue_api]

    reconciliation = Page("/admin/fund/reconciliation (fund admin)")
    reconciliation_api = Page("/api/v1/admin/reconciliation", api=True)
    today = date.today()
    for months in range(24):
        first = (today.replace(day=1) - timedelta(days=31 * months)).replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        period = f"from_on={first}&to_on={last}"
        reconciliation.requests.append((f"/admin/fund/reconciliation?{period}", people.cookie(fund)))
        reconciliation_api.requests.append((f"/api/v1/admin/reconciliation?{period}", people.token(fund)))
    pages += [reconciliation, reconciliation_api]

    claims, claims_api = Page("/admin/fund/claims (fund admin)"), Page("/api/v1/admin/claims", api=True)
    for status in ("submitted", "approved", "paid", ""):
        claims.requests += [(p, people.cookie(fund)) for p in _pages_of(
            app, f"/admin/fund/claims?status={status}", people.cookie(fund), 60)]
        claims_api.requests += [(p, people.token(fund)) for p in _api_pages_of(
            app, f"/api/v1/admin/claims{'?status=' + status if status else ''}", people.token(fund), 60)]
    pages += [claims, claims_api]
    return pages


def write_rotation(page: Page, path: Any) -> None:
    """The lines bench/wrk_rotate.lua reads: path, header name, header value (tab-separated)."""
    lines = []
    for url, headers in page.requests:
        (name, value), = headers.items()
        lines.append(f"{url}\t{name}\t{value}")
    path.write_text("\n".join(lines) + "\n")
