"""The lean reference of bench/load_bench.py: the key pages' content written as plainly as the stack allows.

Bare Flask, SQLAlchemy Core with plain SQL (one statement per list), one Jinja template per page rendered with the
portal's own translation catalogues, Babel for amounts and days, and the session read from the portal's Redis (the
same cookies and bearer tokens work here). No ORM, no forms, no permission module, no blueprints: what is left is
what any implementation of these pages must pay. The portal's render of a page is compared with this one's
(``ratio to lean``). Same rows, same figures, same words; not the same markup byte for byte (no navigation, no
filters form).

    BENCH_LEAN_DATABASE_URL=postgresql+psycopg://... SESSION_REDIS_URL=redis://... bench.lean_app:app
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import redis
from babel.dates import format_date, format_time
from babel.numbers import format_currency
from babel.support import Translations
from flask import Flask, abort, jsonify, request
from jinja2 import DictLoader, Environment, select_autoescape
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "portal" / "translations"

app = Flask(__name__)
engine = create_engine(os.environ.get("BENCH_LEAN_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/tnw"),
                       connect_args={"options": "-c TimeZone=UTC"})
store = redis.from_url(os.environ.get("SESSION_REDIS_URL", "redis://127.0.0.1:6379/13"))
decode_session = msgspec.msgpack.Decoder().decode

BASE = """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8"><title>{% block title %}{% endblock %}</title>
<link rel="stylesheet" href="/static/css/portal.css"></head><body><header><a href="/">Fonds</a>
<span>{{ user.first_name }} {{ user.last_name }}</span> <a href="/notifications">{{ _("Notifications") }} ({{ user.unread }})</a>
</header><main>{% block content %}{% endblock %}</main></body></html>"""

TEMPLATES = {
    "base": BASE,
    "my": """{% extends "base" %}{% block title %}{{ _("My voucher") }}{% endblock %}{% block content %}
<h1>{{ _("My voucher") }}</h1><p>{{ _("Hello %(name)s", name=user.first_name ~ " " ~ user.last_name) }}</p>
{% for v in vouchers if v.status in ("approved", "in_progress") %}{% if loop.first %}<section class="card">
<h2>{{ _("Voucher %(code)s", code=v.code) }}</h2>
<p>{{ _("With %(provider)s, valid until %(day)s.", provider=v.provider, day=day(v.valid_until_on)) }}</p>
<label>{{ _("Left to use: %(left)s of %(value)s", left=money(v.left), value=money(v.value_cents)) }}</label>
<meter min="0" max="{{ v.value_cents }}" value="{{ v.left }}">{{ money(v.left) }}</meter>
<p><a class="button" href="/vouchers/{{ v.id }}">{{ _("See my voucher") }}</a></p></section>{% endif %}{% endfor %}
<h2>{{ _("History") }}</h2><table><thead><tr><th>{{ _("Sent on") }}</th><th>{{ _("Status") }}</th><th>{{ _("Details") }}</th></tr></thead><tbody>
{% for r in requests %}<tr><td>{{ day(r.submitted_on) }}</td><td>{{ status(r.status) }}</td>
<td><a href="/requests/{{ r.id }}">{{ _("Request %(id)s", id=r.id) }}</a></td></tr>{% endfor %}</tbody></table>
{% endblock %}""",
    "voucher": """{% extends "base" %}{% block title %}{{ _("Voucher %(code)s", code=v.code) }}{% endblock %}{% block content %}
<h1>{{ _("Voucher %(code)s", code=v.code) }}</h1><p>{{ _("Status") }}: <strong>{{ status(v.status) }}</strong></p>
<p>{{ _("With %(provider)s, valid from %(start)s until %(end)s.", provider=v.provider, start=day(v.valid_from_on), end=day(v.valid_until_on)) }}</p>
<ul class="figures"><li>{{ _("Value") }}<strong>{{ money(v.value_cents) }}</strong></li><li>{{ _("Used") }}<strong>{{ money(v.spent) }}</strong></li>
<li>{{ _("Booked") }}<strong>{{ money(v.booked) }}</strong></li><li>{{ _("Left") }}<strong>{{ money(v.left) }}</strong></li></ul>
<h2>{{ _("What happened") }}</h2><ol class="timeline">{% for t in timeline %}<li><strong>{{ day(t.at) }}</strong> — {{ status(t.to_state) if t.to_state else t.action }}</li>{% endfor %}</ol>
{% endblock %}""",
    "week": """{% extends "base" %}{% block title %}{{ _("Week") }}{% endblock %}{% block content %}
<h1>{{ _("Week of %(name)s", name=coach.display_name) }}</h1>
<form method="get" action="/coach/week"><select name="coach_id">{% for c in coaches %}<option value="{{ c.id }}"{% if c.id == coach.id %} selected{% endif %}>{{ c.display_name }}</option>{% endfor %}</select></form>
<div class="week">{% for d in days %}<section class="week__day"><h3>{{ weekday(d) }}</h3>
{% if available[d] %}<p>{{ _("Available:") }} {% for a in available[d] %}{{ a.start_time.strftime('%H:%M') }}–{{ a.end_time.strftime('%H:%M') }}{% if not loop.last %}, {% endif %}{% endfor %}</p>{% else %}<p>{{ _("Not available") }}</p>{% endif %}
<ul>{% for s in by_day[d] %}<li><a href="/coach/sessions/{{ s.id }}">{{ time(s.starts_at) }}–{{ time(s.ends_at) }}</a> {{ s.theme }}
<span>{{ s.names|join(", ") }}</span></li>{% else %}<li>{{ _("No session") }}</li>{% endfor %}</ul></section>{% endfor %}</div>
{% endblock %}""",
    "vouchers": """{% extends "base" %}{% block title %}{{ _("Vouchers") }}{% endblock %}{% block content %}
<h1>{{ _("Vouchers") }}</h1><table><thead><tr><th>{{ _("Code") }}</th><th>{{ _("Beneficiary") }}</th><th>{{ _("Status") }}</th><th>{{ _("Left") }}</th><th>{{ _("Mix") }}</th></tr></thead><tbody>
{% for v in rows %}<tr><th><a href="/provider/vouchers/{{ v.id }}">{{ v.code }}</a></th><td>{{ v.first_name }} {{ v.last_name }}</td><td>{{ status(v.status) }}</td>
<td>{{ money(v.left) }}</td><td>{% if v.individual_hours is not none %}{{ _("%(h)s h individual + %(n)s group sessions", h=v.individual_hours, n=v.collective_sessions) }}{% else %}{{ _("Mix not fixed") }}{% endif %}</td></tr>{% endfor %}
</tbody></table>{% if next %}<a href="?cursor={{ next }}" rel="next">{{ _("Next page") }}</a>{% endif %}{% endblock %}""",
    "employer": """{% extends "base" %}{% block title %}{{ _("Dismissal declarations") }}{% endblock %}{% block content %}
<h1>{{ _("Dismissal declarations") }}</h1><ul class="cards"><li><h2>{{ counts.due }}</h2><p>{{ _("contributions to pay") }}</p></li>
<li><h2>{{ counts.overdue }}</h2><p>{{ _("overdue") }}</p></li><li><h2>{{ counts.paid }}</h2><p>{{ _("paid") }}</p></li></ul>
<table><tbody>{% for d in rows %}<tr><td><a href="/employer/declarations/{{ d.id }}">{{ d.worker_first_name }} {{ d.worker_last_name }}</a></td>
<td>{{ day(d.contract_end_on) }}</td><td>{{ d.company_name }}</td><td>{% if d.status in ("due", "partially_paid") and d.due_on < today %}{{ _("Overdue") }}{% else %}{{ d.status }}{% endif %} {{ money(d.amount_cents) }}</td>
<td>{{ day(d.due_on) }}</td></tr>{% endfor %}</tbody></table>{% endblock %}""",
    "queue": """{% extends "base" %}{% block title %}{{ _("Decision queue") }}{% endblock %}{% block content %}
<h1>{{ _("Voucher requests: decision queue") }}</h1><dl class="stats"><div><dt>{{ _("Waiting for a decision") }}</dt><dd>{{ counts.submitted }}</dd></div>
<div><dt>{{ _("Due soon (from day %(day)s)", day=35) }}</dt><dd>{{ counts.due_soon }}</dd></div><div><dt>{{ _("Overdue (after day %(day)s)", day=45) }}</dt><dd>{{ counts.overdue }}</dd></div>
<div><dt>{{ _("On the waiting list") }}</dt><dd>{{ counts.waitlisted }}</dd></div></dl>
<table><tbody>{% for r in rows %}<tr><th><a href="/admin/requests/{{ r.id }}">{{ r.name }}</a> #{{ r.id }}</th><td>{{ r.route or "—" }}</td>
<td>{{ day(r.submitted_on) }}</td><td>{{ day(r.decision_due_on) }}</td><td>{% if r.days_left is none %}{{ _("Decided or closed") }}{% elif r.days_left >= 0 %}{{ ngettext("%(num)d day left", "%(num)d days left", r.days_left) }}{% else %}{{ ngettext("%(num)d day late", "%(num)d days late", -r.days_left) }}{% endif %}</td>
<td>{{ status(r.status) }}</td></tr>{% endfor %}</tbody></table>{% endblock %}""",
    "claims": """{% extends "base" %}{% block title %}{{ _("Claims") }}{% endblock %}{% block content %}
<h1>{{ _("Providers' claims") }}</h1><table><tbody>{% for c in rows %}<tr><th><a href="/admin/fund/claims/{{ c.id }}">{{ _("Claim %(id)s", id=c.id) }}</a></th>
<td>{{ c.provider }}</td><td>{{ c.code }}</td><td>{{ day(c.submitted_at) }}</td><td>{{ c.lines }}</td><td>{{ c.disputed }}</td><td>{{ money(c.amount_cents) }}</td><td>{{ c.status }}</td></tr>{% endfor %}</tbody></table>
{% endblock %}""",
}

STATUS_TEXTS = {"submitted": "Waiting for the fund's decision", "info_requested": "Information requested",
                "approved": "Approved", "waitlisted": "On the waiting list", "rejected": "Refused",
                "withdrawn": "Withdrawn", "in_progress": "Coaching under way", "completed": "Completed",
                "expired": "Expired", "draft": "Not sent yet"}
_environments: dict[str, Environment] = {}


def environment(lang: str) -> Environment:
    env = _environments.get(lang)
    if env is None:
        env = Environment(loader=DictLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                          extensions=["jinja2.ext.i18n"])
        translations = Translations.load(str(CATALOGS), [lang])
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        env.globals.update(money=lambda cents: format_currency(Decimal(cents) / 100, "EUR", locale=lang),
                           day=lambda value: format_date(value, "long", locale=lang) if value else "",
                           weekday=lambda value: format_date(value, "EEEE d MMM", locale=lang),
                           time=lambda value: format_time(value.astimezone(ZoneInfo("Europe/Brussels")), "short",
                                                          locale=lang),
                           status=lambda code: translations.ugettext(STATUS_TEXTS.get(code, code)) if code else "",
                           lang=lang)
        _environments[lang] = env
    return env


def run(sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


USER = ("SELECT u.id, u.role, u.first_name, u.last_name, u.language, u.provider_id, u.employer_id, u.session_token, "
        "(SELECT count(*) FROM notifications n WHERE n.user_id = u.id AND n.read_at IS NULL) AS unread FROM users u ")


def person() -> Any:
    """The caller: its bearer token (API), or its session in Redis (pages)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        found = run(USER + "JOIN api_tokens t ON t.user_id = u.id WHERE t.token_hash = :hash AND t.revoked_at IS NULL "
                    "AND t.expires_at > now()", hash=hashlib.sha256(header[7:].strip().encode()).hexdigest())
        if not found:
            abort(401)
        return found[0]
    raw = store.get("tnw:session:" + request.cookies.get("session", ""))
    user_id, _, token = str(decode_session(raw).get("_user_id", "")).partition(":") if raw else ("", "", "")
    found = run(USER + "WHERE u.id = :id", id=int(user_id)) if user_id.isdigit() else []
    if not found or found[0].session_token != token:
        abort(401)
    return found[0]


def page(name: str, user: Any, **context: Any) -> str:
    lang = user.language if user.language in ("fr", "nl", "en") else "fr"
    return environment(lang).get_template(name).render(user=user, **context)


def with_left(rows: list[Any]) -> list[dict[str, Any]]:
    return [{**row._mapping, "left": max(0, row.value_cents - row.spent - row.booked)} for row in rows]


USAGE = ("coalesce(sum(CASE WHEN g.kind IN ('delivered', 'corrected') THEN g.amount_cents END), 0) AS spent, "
         "coalesce(sum(CASE WHEN g.kind IN ('scheduled', 'released') THEN g.amount_cents END), 0) AS booked")


@app.get("/my")
def my() -> str:
    user = person()
    requests_ = run("SELECT r.id, r.status, r.submitted_on FROM voucher_requests r JOIN beneficiaries b "
                    "ON b.id = r.beneficiary_id WHERE b.user_id = :id AND r.status <> 'draft' ORDER BY r.id DESC",
                    id=user.id)
    vouchers = with_left(run(f"SELECT v.id, v.code, v.status, v.value_cents, v.valid_until_on, p.name AS provider, {USAGE} "
                             "FROM vouchers v JOIN beneficiaries b ON b.id = v.beneficiary_id JOIN providers p "
                             "ON p.id = v.provider_id LEFT JOIN voucher_usage g ON g.voucher_id = v.id "
                             "WHERE b.user_id = :id GROUP BY v.id, p.name ORDER BY v.id DESC", id=user.id))
    return page("my", user, requests=requests_, vouchers=vouchers)


def _voucher(user: Any, voucher_id: int) -> dict[str, Any]:
    found = with_left(run(f"SELECT v.id, v.code, v.status, v.value_cents, v.valid_from_on, v.valid_until_on, "
                          f"v.request_id, v.provider_id, v.pending_provider_id, v.individual_hours, "
                          f"v.collective_sessions, v.individual_unit_cents, v.collective_unit_cents, "
                          f"p.name AS provider, b.user_id, coalesce(sum(CASE WHEN g.kind IN ('delivered', 'corrected') "
                          f"THEN g.individual_minutes END), 0) AS minutes, coalesce(sum(CASE WHEN g.kind IN "
                          f"('delivered', 'corrected') THEN g.collective_sessions END), 0) AS groups, {USAGE} "
                          "FROM vouchers v JOIN beneficiaries b "
                          "ON b.id = v.beneficiary_id JOIN providers p ON p.id = v.provider_id LEFT JOIN voucher_usage g "
                          "ON g.voucher_id = v.id WHERE v.id = :id GROUP BY v.id, p.name, b.user_id", id=voucher_id))
    if not found or found[0]["user_id"] != user.id:
        abort(404)
    return found[0]


@app.get("/vouchers/<int:voucher_id>")
def voucher_page(voucher_id: int) -> str:
    user = person()
    voucher = _voucher(user, voucher_id)
    timeline = run("SELECT at, action, to_state FROM audit_log WHERE (object_type = 'voucher_request' AND object_id = :r) "
                   "OR (object_type = 'voucher' AND object_id = :v) ORDER BY id", r=voucher["request_id"], v=voucher_id)
    return page("voucher", user, v=voucher, timeline=timeline)


@app.get("/api/v1/vouchers/<int:voucher_id>")
def voucher_api(voucher_id: int) -> Any:
    v = _voucher(person(), voucher_id)
    mix = None if v["individual_hours"] is None else {
        "individual_hours": v["individual_hours"], "collective_sessions": v["collective_sessions"],
        "individual_unit_cents": v["individual_unit_cents"], "collective_unit_cents": v["collective_unit_cents"]}
    return jsonify({"id": v["id"], "code": v["code"], "status": v["status"], "value_cents": v["value_cents"],
                    "spent_cents": v["spent"], "committed_cents": v["booked"], "balance_cents": v["left"],
                    "valid_from_on": v["valid_from_on"].isoformat(), "valid_until_on": v["valid_until_on"].isoformat(),
                    "provider_id": v["provider_id"], "pending_provider_id": v["pending_provider_id"], "mix": mix,
                    "individual_minutes_used": v["minutes"], "collective_sessions_used": v["groups"],
                    "request_id": v["request_id"]})


@app.get("/coach/week")
def week() -> str:
    user = person()
    coaches = run("SELECT id, display_name, timezone FROM coaches WHERE provider_id = :p AND active ORDER BY display_name",
                  p=user.provider_id)
    coach = next((c for c in coaches if c.id == request.args.get("coach_id", type=int)), None) or abort(404)
    zone = ZoneInfo(coach.timezone)
    today = datetime.now(zone).date()
    monday = today - timedelta(days=today.weekday())
    start = datetime.combine(monday, datetime.min.time(), tzinfo=zone)
    rows = run("SELECT s.id, s.starts_at, s.ends_at, s.theme, u.first_name, u.last_name FROM coaching_sessions s "
               "LEFT JOIN session_seats t ON t.session_id = s.id LEFT JOIN vouchers v ON v.id = t.voucher_id "
               "LEFT JOIN beneficiaries b ON b.id = v.beneficiary_id LEFT JOIN users u ON u.id = b.user_id "
               "WHERE s.coach_id = :c AND s.starts_at >= :start AND s.starts_at < :end AND s.status <> 'cancelled' "
               "ORDER BY s.starts_at, t.voucher_id", c=coach.id, start=start, end=start + timedelta(days=7))
    days = [monday + timedelta(days=n) for n in range(7)]
    by_day: dict[date, list[dict[str, Any]]] = {d: [] for d in days}
    seen: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row.id not in seen:
            seen[row.id] = {"id": row.id, "starts_at": row.starts_at, "ends_at": row.ends_at, "theme": row.theme,
                            "names": []}
            by_day[row.starts_at.astimezone(zone).date()].append(seen[row.id])
        if row.first_name is not None:
            seen[row.id]["names"].append(f"{row.first_name} {row.last_name}")
    hours = run("SELECT weekday, start_time, end_time FROM coach_availability WHERE coach_id = :c ORDER BY start_time",
                c=coach.id)
    available = {d: [h for h in hours if h.weekday == d.weekday()] for d in days}
    return page("week", user, coach=coach, coaches=coaches, days=days, by_day=by_day, available=available)


def _provider_vouchers(user: Any) -> tuple[list[dict[str, Any]], str | None]:
    before = request.args.get("cursor", type=int) or 2**31 - 1
    rows = with_left(run(f"SELECT v.id, v.code, v.status, v.value_cents, v.individual_hours, v.collective_sessions, "
                         "v.individual_unit_cents, v.collective_unit_cents, v.valid_from_on, v.valid_until_on, "
                         "v.provider_id, v.pending_provider_id, v.request_id, u.first_name, u.last_name, "
                         "coalesce(sum(CASE WHEN g.kind IN ('delivered', 'corrected') THEN g.individual_minutes END), 0) "
                         "AS minutes, coalesce(sum(CASE WHEN g.kind IN ('delivered', 'corrected') THEN "
                         f"g.collective_sessions END), 0) AS groups, {USAGE} FROM (SELECT * FROM vouchers WHERE "
                         "(provider_id = :p OR pending_provider_id = :p) AND id < :before ORDER BY id DESC LIMIT 51) v "
                         "JOIN beneficiaries b ON b.id = v.beneficiary_id JOIN users u ON u.id = b.user_id "
                         "LEFT JOIN voucher_usage g ON g.voucher_id = v.id GROUP BY v.id, v.code, v.status, "
                         "v.value_cents, v.individual_hours, v.collective_sessions, v.individual_unit_cents, "
                         "v.collective_unit_cents, v.valid_from_on, v.valid_until_on, v.provider_id, "
                         "v.pending_provider_id, v.request_id, u.first_name, u.last_name ORDER BY v.id DESC",
                         p=user.provider_id, before=before))
    return rows[:50], str(rows[49]["id"]) if len(rows) > 50 else None


@app.get("/provider/vouchers")
def provider_vouchers() -> str:
    user = person()
    rows, after = _provider_vouchers(user)
    return page("vouchers", user, rows=rows, next=after)


@app.get("/api/v1/provider/vouchers")
def provider_vouchers_api() -> Any:
    user = person()
    rows, after = _provider_vouchers(user)

    def item(r: dict[str, Any]) -> dict[str, Any]:
        mix = None if r["individual_hours"] is None else {
            "individual_hours": r["individual_hours"], "collective_sessions": r["collective_sessions"],
            "individual_unit_cents": r["individual_unit_cents"], "collective_unit_cents": r["collective_unit_cents"]}
        return {"id": r["id"], "code": r["code"], "status": r["status"], "value_cents": r["value_cents"],
                "spent_cents": r["spent"], "committed_cents": r["booked"], "balance_cents": r["left"],
                "valid_from_on": r["valid_from_on"].isoformat(), "valid_until_on": r["valid_until_on"].isoformat(),
                "provider_id": r["provider_id"], "pending_provider_id": r["pending_provider_id"], "mix": mix,
                "individual_minutes_used": r["minutes"], "collective_sessions_used": r["groups"],
                "request_id": r["request_id"], "beneficiary_name": f"{r['first_name']} {r['last_name']}",
                "pending_acceptance": r["pending_provider_id"] == user.provider_id}

    return jsonify({"items": [item(r) for r in rows], "next_cursor": after})


def _declarations(user: Any) -> list[Any]:
    return run("SELECT d.id, d.employer_id, d.worker_first_name, d.worker_last_name, d.worker_niss, d.contract_end_on, "
               "d.physician_decision_on, d.declared_on, d.declaration_due_on, d.status AS declaration_status, "
               "d.agent_name, d.agent_email, d.agent_phone, e.company_name, c.id AS contribution_id, c.status, "
               "c.amount_cents, c.due_on, c.structured_reference, c.overdue_flagged_at, (SELECT coalesce(sum("
               "amount_cents), 0) FROM contribution_payments p "
               "WHERE p.contribution_id = c.id) AS paid FROM dismissal_declarations d JOIN contributions c "
               "ON c.declaration_id = d.id JOIN employers e ON e.id = d.employer_id WHERE d.employer_id = :e "
               "AND d.id < :before ORDER BY d.id DESC LIMIT 51",
               e=user.employer_id, before=request.args.get("cursor", type=int) or 2**31 - 1)


@app.get("/employer/")
def employer() -> str:
    user = person()
    today = date.today()
    counts = run("SELECT count(*) FILTER (WHERE c.status IN ('due', 'partially_paid', 'processing')) AS due, "
                 "count(*) FILTER (WHERE c.status IN ('due', 'partially_paid') AND c.due_on < :today) AS overdue, "
                 "count(*) FILTER (WHERE c.status IN ('paid', 'overpaid')) AS paid FROM contributions c "
                 "JOIN dismissal_declarations d ON d.id = c.declaration_id WHERE d.employer_id = :e",
                 today=today, e=user.employer_id)[0]
    return page("employer", user, rows=_declarations(user)[:50], counts=counts, today=today)


def _rules() -> Any:
    """The fund's rules in force today (one statement), with the portal's pure rules' defaults."""
    import dataclasses

    from portal.rules import FundRules

    rows = run("SELECT key, value FROM fund_settings WHERE valid_from_on <= :today ORDER BY key, valid_from_on",
               today=date.today())
    fields = {f.name for f in dataclasses.fields(FundRules)}
    return dataclasses.replace(FundRules(), **{key: date.fromisoformat(value) if key.endswith("_on") else int(value)
                                               for key, value in rows if key in fields})


@app.get("/api/v1/dismissals")
def dismissals_api() -> Any:
    """The same fields as the portal's answer, from the portal's pure rules (vouchers/employers/domain.py)."""
    from vouchers.employers import domain

    rows, rules, today = _declarations(person()), _rules(), date.today()

    def item(r: Any) -> dict[str, Any]:
        warnings = domain.declaration_warnings(r.contract_end_on, r.physician_decision_on, declared_on=r.declared_on,
                                               rules=rules)
        return {"id": r.id, "employer_id": r.employer_id, "worker_first_name": r.worker_first_name,
                "worker_last_name": r.worker_last_name, "worker_niss": r.worker_niss,
                "contract_end_on": r.contract_end_on.isoformat(),
                "physician_decision_on": r.physician_decision_on.isoformat() if r.physician_decision_on else None,
                "declared_on": r.declared_on.isoformat(), "declaration_due_on": r.declaration_due_on.isoformat(),
                "is_late": r.declared_on > r.declaration_due_on,
                "apply_by_on": domain.apply_by_on(r.contract_end_on, rules).isoformat(),
                "status": r.declaration_status, "agent_name": r.agent_name, "agent_email": r.agent_email,
                "agent_phone": r.agent_phone,
                "contribution": {"id": r.contribution_id, "amount_cents": r.amount_cents, "paid_cents": r.paid,
                                 "due_on": r.due_on.isoformat(), "status": r.status,
                                 "structured_reference": domain.format_structured_reference(r.structured_reference),
                                 "is_overdue": domain.is_overdue(r.status, r.due_on, today),
                                 "overdue_flagged_at": r.overdue_flagged_at.isoformat() if r.overdue_flagged_at
                                 else None},
                "warnings": [{"code": w.code, "message": w.message, "params": w.params} for w in warnings]}

    return jsonify({"items": [item(r) for r in rows[:50]], "next_cursor": str(rows[49].id) if len(rows) > 50 else None})


def _queue() -> list[dict[str, Any]]:
    today = date.today()
    rows = run("SELECT r.id, r.status, r.route, r.submitted_on, r.decision_due_on, r.paused_days, r.info_requested_on, "
               "r.provider_id, r.insurer_code, r.initiative, r.decided_on, r.decision_reason, r.coordinator_id, "
               "r.consent_on, v.id AS voucher_id, u.first_name, u.last_name, "
               "i.first_name AS invited_first, i.last_name AS invited_last, CASE WHEN r.status = 'waitlisted' THEN "
               "(SELECT count(*) FROM voucher_requests w WHERE w.status = 'waitlisted' AND (w.submitted_on, w.id) <= "
               "(r.submitted_on, r.id)) END AS place FROM voucher_requests r "
               "LEFT JOIN beneficiaries b ON b.id = r.beneficiary_id LEFT JOIN users u ON u.id = b.user_id "
               "LEFT JOIN member_invitations i ON i.id = r.invitation_id LEFT JOIN vouchers v ON v.request_id = r.id "
               "WHERE r.status = :status ORDER BY r.decision_due_on, r.id LIMIT 51",
               status=request.args.get("status") or "submitted")
    return [{**row._mapping, "name": f"{row.first_name or row.invited_first} {row.last_name or row.invited_last}",
             "days_left": (row.decision_due_on - today).days if row.status == "submitted" else None}
            for row in rows[:50]]


@app.get("/admin/requests")
def queue() -> str:
    user = person()
    run("SELECT key, value, valid_from_on FROM fund_settings ORDER BY key, valid_from_on")
    counts = run("SELECT count(*) FILTER (WHERE status = 'submitted') AS submitted, count(*) FILTER (WHERE status = "
                 "'submitted' AND decision_due_on BETWEEN :today AND :soon) AS due_soon, count(*) FILTER (WHERE "
                 "status = 'submitted' AND decision_due_on < :today) AS overdue, count(*) FILTER (WHERE status = "
                 "'waitlisted') AS waitlisted FROM voucher_requests WHERE status IN ('submitted', 'waitlisted')",
                 today=date.today(), soon=date.today() + timedelta(days=10))[0]
    return page("queue", user, rows=_queue(), counts=counts)


@app.get("/api/v1/admin/voucher-requests")
def queue_api() -> Any:
    """The same fields as the portal's answer, the clock from the portal's pure rules (vouchers/requests/domain.py)."""
    from vouchers.requests import domain

    person()
    rules, today = _rules(), date.today()

    def day(value: date | None) -> str | None:
        return value.isoformat() if value else None

    def item(r: dict[str, Any]) -> dict[str, Any]:
        clock = domain.decision_clock(r["submitted_on"], today, paused_days=r["paused_days"],
                                      paused_since=r["info_requested_on"] if r["status"] == "info_requested" else None,
                                      rules=rules) if r["status"] in ("submitted", "info_requested") else None
        return {"id": r["id"], "status": r["status"], "route": r["route"], "submitted_on": day(r["submitted_on"]),
                "decision_due_on": day(r["decision_due_on"]), "days_left": clock.days_left if clock else None,
                "clock_state": clock.state if clock else None, "is_overdue": bool(clock and clock.state == "overdue"),
                "provider_id": r["provider_id"], "insurer_code": r["insurer_code"], "initiative": r["initiative"],
                "decided_on": day(r["decided_on"]), "decision_reason": r["decision_reason"],
                "appeal_by_on": day(domain.appeal_deadline(r["decided_on"], rules)) if r["status"] == "rejected"
                and r["decided_on"] else None, "waiting_list_position": r["place"], "voucher_id": r["voucher_id"],
                "beneficiary_name": r["name"], "coordinator_id": r["coordinator_id"], "consent_on": day(r["consent_on"])}

    return jsonify({"items": [item(r) for r in _queue()], "next_cursor": None})


def _claims() -> list[Any]:
    return run("SELECT c.id, c.amount_cents, c.status, c.submitted_at, v.code, p.name AS provider, "
               "(SELECT count(*) FROM claim_lines l WHERE l.claim_id = c.id) AS lines, (SELECT count(*) FROM "
               "session_seats s WHERE s.voucher_id = c.voucher_id AND s.confirmation = 'disputed') AS disputed "
               "FROM claims c JOIN vouchers v ON v.id = c.voucher_id JOIN providers p ON p.id = c.provider_id "
               "WHERE c.id > :after ORDER BY c.id LIMIT 51", after=request.args.get("after", type=int) or 0)


@app.get("/admin/fund/claims")
def claims() -> str:
    return page("claims", person(), rows=_claims()[:50])


@app.get("/api/v1/admin/claims")
def claims_api() -> Any:
    person()
    return jsonify({"items": [{"id": c.id, "amount_cents": c.amount_cents, "status": c.status,
                               "submitted_at": c.submitted_at.astimezone(UTC).isoformat()}
                              for c in _claims()[:50]], "next_cursor": None})


#: The portal's paths this app has a lean version of (the load benchmark compares only those).
LEAN_PATHS = ("/my", "/vouchers/", "/api/v1/vouchers/", "/coach/week", "/provider/vouchers", "/api/v1/provider/vouchers",
              "/employer/", "/api/v1/dismissals", "/admin/requests", "/api/v1/admin/voucher-requests",
              "/admin/fund/claims", "/api/v1/admin/claims")
