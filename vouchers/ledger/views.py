"""The fund administrators' reconciliation and report pages.

Each page reads a period (or a day) from a GET form, calls the services of
``vouchers.reconciliation`` and ``vouchers.reports``, and shows the figures as a table and,
where a person would rather look than read, as a server-rendered SVG chart beside it. Each
figure of the reconciliation links to its rows; each report links to its CSV export (the API's
``/admin/reports/<name>.csv``, which a logged-in browser may call).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from coaching.claims.forms import CLAIM_STATUS_LABELS
from portal.clock import today_in_brussels
from portal.db import db
from portal.errors import ValidationFailed
from portal.permissions import Permission, require
from portal.schema_fields import MAX_ID
from portal.web import attach_errors
from vouchers.banking.services import payouts
from vouchers.ledger import domain
from vouchers.ledger.domain import Period, check_period
from vouchers.ledger.forms import DayForm, PeriodForm
from vouchers.ledger.labels import ACCOUNT_LABELS, KIND_LABELS
from vouchers.ledger.services import entries as ledger
from vouchers.ledger.services import reconciliation, reports
from vouchers.ledger.services.reconciliation import FIGURES

bp = Blueprint("ledger", __name__, url_prefix="/admin/fund")

CHART_WIDTH, AMOUNT_ROOM, ROW_HEIGHT, BAR_HEIGHT, LABEL_ROOM = 480, 130, 64, 22, 26


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    cents: int
    x: float
    y: float  # top of the bar; its label sits just above it
    width: float


def bar_chart(figures: list[tuple[str, str, int]], *, width: int = CHART_WIDTH) -> dict[str, Any]:
    """Horizontal bars for ``(key, label, cents)``, each under its label, with a zero line so a
    negative figure points left. Geometry only: the template draws it and prints the amounts."""
    plot = width - AMOUNT_ROOM
    low = min([0] + [cents for _, _, cents in figures])
    high = max([0] + [cents for _, _, cents in figures])
    span = (high - low) or 1
    zero_x = plot * (-low) / span
    bars = []
    for index, (key, label, cents) in enumerate(figures):
        length = plot * abs(cents) / span
        bars.append(Bar(key, label, cents, round(zero_x - length if cents < 0 else zero_x, 1),
                        index * ROW_HEIGHT + LABEL_ROOM, round(length, 1)))
    return {"bars": bars, "width": width, "height": len(figures) * ROW_HEIGHT + 4, "zero_x": round(zero_x, 1),
            "bar_height": BAR_HEIGHT}


@bp.get("/")
@bp.get("/balance")
@require(Permission.ADMIN_REPORTS_VIEW)
def balance():  # type: ignore[no-untyped-def]
    today = today_in_brussels()
    position = ledger.fund_position(db.session, on=today)
    figures = [("cash", _("Money held (cash)"), position.cash_cents),
               ("committed", _("Committed to open vouchers"), position.committed_cents),
               ("payable", _("Owed to providers (approved claims)"), position.payable_cents),
               ("available", _("Available for new vouchers"), position.available_cents)]
    waiting_count, waiting_cents = payouts.approved_unbatched(db.session)
    return render_template("fund_admin/balance.html", position=position, chart=bar_chart(figures), today=today,
                           waiting_count=waiting_count, waiting_cents=waiting_cents)




PAGE_SIZE = 50


BANK_LINES_PATH = "/admin/fund/bank-lines"


REPORT_TITLES = {
    "money-in-out": _l("Money in and out per month"),
    "contribution-aging": _l("Aging of unpaid contributions"),
    "decision-compliance": _l("45-day decision compliance"),
    "provider-volumes": _l("Provider volumes and outcomes"),
    "waiting-list": _l("The waiting list"),
    "reconciliation": _l("Reconciliation of a period"),
}


REPORT_DESCRIPTIONS = {
    "money-in-out": _l("Per month: contributions received, refunds, the fund's funding, and claims paid to "
                       "providers, from the ledger's cash entries."),
    "contribution-aging": _l("The contributions still unpaid on a day, by how many days their due day is past."),
    "decision-compliance": _l("Per month of submission: requests decided within 45 days, decided late, and still "
                              "waiting after day 45."),
    "provider-volumes": _l("Per provider: vouchers issued and how they ended, sessions held, claims approved "
                           "and paid."),
    "waiting-list": _l("Route-B requests approved onto the waiting list: how many, their value, the oldest."),
    "reconciliation": _l("Contributions expected and paid, money in and out, unmatched money, claims, and the "
                         "fund's balance for any period."),
}


FIGURE_LABELS = {
    "expected": _l("Contributions expected (due in the period)"),
    "unpaid": _l("Unpaid"),
    "processing": _l("Card payment being processed"),
    "partially_paid": _l("Partially paid"),
    "paid": _l("Paid"),
    "overpaid": _l("Overpaid"),
    "refunded": _l("Refunded"),
    "overdue": _l("Overdue"),
    "received": _l("Contributions received"),
    "refunds": _l("Refunds to employers"),
    "funding": _l("Funding of the fund"),
    "claims_approved": _l("Claims approved"),
    "claims_paid": _l("Claims paid to providers"),
    "cash": _l("Money held (cash)"),
    "committed": _l("Committed to open vouchers"),
    "payable": _l("Owed to providers (approved claims)"),
}


AGING_LABELS = {
    "not_yet_due": _l("Not yet due"),
    "1_30": _l("1 to 30 days late"),
    "31_45": _l("31 to 45 days late"),
    "46_90": _l("46 to 90 days late"),
    "over_90": _l("More than 90 days late"),
}


STATE_LABELS = {key: FIGURE_LABELS[key] for key in reconciliation.CONTRIBUTION_STATES}


# Colours with at least 3:1 contrast on white, told apart by the legend and the table too.
COLOURS = {"in": "#1d4f91", "out": "#8a5a00", "on_time": "#1e6b35", "late": "#a4262c", "open_overdue": "#6b2c91",
           "waiting": "#1d4f91"}


def bank_lines_url(period: Period) -> str:
    """The bank-lines queue, filtered to the period's unmatched money (its page belongs to the
    bank-statement pages; found by its path so that this module does not depend on them)."""
    query = reconciliation.unmatched_lines_link(period)
    for rule in current_app.url_map.iter_rules():
        if rule.rule == BANK_LINES_PATH and "GET" in (rule.methods or ()):
            return url_for(rule.endpoint, **query)
    return f"{request.script_root}{BANK_LINES_PATH}?{urlencode(query)}"


def read_period(form: PeriodForm, default: Period) -> tuple[Period | None, int]:
    """The form's period; the default on a first visit; None (and 422) with the reasons on the form."""
    if not request.args.get("from_on") and not request.args.get("to_on"):
        form.from_on.data, form.to_on.data = default.from_on, default.to_on
        return default, 200
    if not form.validate():
        return None, 422
    try:
        return check_period(form.from_on.data, form.to_on.data), 200
    except ValidationFailed as error:
        attach_errors(form, error)
        return None, 422


def period_args(period: Period) -> dict[str, str]:
    return {"from_on": period.from_on.isoformat(), "to_on": period.to_on.isoformat()}


def _period_query() -> dict[str, str]:
    """The query's ``from_on`` and ``to_on`` that are days, and nothing else of it (a redirect must not
    pass on url_for's own arguments, such as ``_method`` or ``endpoint``)."""
    form = PeriodForm(request.args)
    return {field.name: field.data.isoformat() for field in (form.from_on, form.to_on) if field.data is not None}


@dataclass(frozen=True)
class Column:
    key: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class ColumnGroup:
    label: str  # in full, for the chart's text description
    x: float  # centre, for the label under the group
    columns: list[Column]
    tick: str = ""  # short, under the group (a month's abbreviation)
    subtick: str = ""  # under it (the year, where it changes)


CHART_W, CHART_H, LEFT, BOTTOM, TOP = 640, 300, 120, 30, 14


def column_chart(groups: list[tuple[str, list[int]]], series: list[tuple[str, Any]], *,
                 stacked: bool = False, ticks: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Vertical columns, one group per label (a month), one column per series side by side or stacked,
    with a zero line and three value ticks. Geometry only: the template draws it and formats values."""
    plot_w, plot_h = CHART_W - LEFT - 10, CHART_H - TOP - BOTTOM
    if stacked:
        highs = [sum(v for v in values if v > 0) for _, values in groups]
        lows = [sum(v for v in values if v < 0) for _, values in groups]
    else:
        highs = [max([0, *values]) for _, values in groups]
        lows = [min([0, *values]) for _, values in groups]
    high, low = max([0, *highs]), min([0, *lows])
    span = (high - low) or 1

    def y_of(value: float) -> float:
        return round(TOP + plot_h * (high - value) / span, 1)

    slot = plot_w / max(1, len(groups))
    gap = slot * 0.2
    width = (slot - gap) if stacked else (slot - gap) / max(1, len(series))
    out = []
    for index, (label, values) in enumerate(groups):
        left = LEFT + index * slot + gap / 2
        columns, up, down = [], 0, 0
        for position, ((key, _label), value) in enumerate(zip(series, values, strict=True)):
            if stacked:
                start = up if value >= 0 else down
                end = start + value
                up, down = (end, down) if value >= 0 else (up, end)
                x = left
            else:
                start, end = 0, value
                x = left + position * width
            top, bottom = y_of(max(start, end)), y_of(min(start, end))
            columns.append(Column(key, value, round(x, 1), top, round(width, 1), round(bottom - top, 1)))
        tick, subtick = ticks[index] if ticks else (label, "")
        out.append(ColumnGroup(label, round(left + (slot - gap) / 2, 1), columns, tick, subtick))
    values = sorted({high, low, 0, (high // 2) if high > 1 else high}, reverse=True)
    return {"width": CHART_W, "height": CHART_H, "left": LEFT, "right": CHART_W - 10, "zero_y": y_of(0),
            "bottom": CHART_H - BOTTOM, "groups": out, "series": series, "legend_y": CHART_H + 6,
            "full_height": CHART_H + 10 + 22 * len(series), "ticks": [(y_of(t), t) for t in values],
            "colours": COLOURS}


def _month_label(month: Any) -> str:
    return month.strftime("%Y-%m")


def _month_ticks(months: list[Any]) -> list[tuple[str, str]]:
    """A month's short name in the page's language under each column, and its year under the first
    month and each January: twelve columns stay readable on a phone."""
    return [(format_date(month, "MMM"), str(month.year) if index == 0 or month.month == 1 else "")
            for index, month in enumerate(months)]


@bp.get("/reconciliation")
@require(Permission.ADMIN_REPORTS_VIEW)
def reconciliation_page():  # type: ignore[no-untyped-def]
    today = today_in_brussels()
    form = PeriodForm(request.args)
    period, status = read_period(form, domain.month_of(today))
    figures = chart = None
    if period is not None:
        figures = reconciliation.reconcile(db.session, current_user, period, today=today)
        db.session.commit()  # the past months the figures closed on the way (services.closings) are kept
        cash = figures.cash
        chart = bar_chart([("opening", _("Cash at the start"), cash.opening_cents),
                           ("in", _("Contributions received"), cash.received.cents),
                           ("out", _("Refunds to employers"), -cash.refunds.cents),
                           ("in", _("Funding of the fund"), cash.funding.cents),
                           ("out", _("Claims paid to providers"), -cash.paid_out.cents),
                           ("closing", _("Cash at the end"), cash.closing_cents)])
    return render_template("fund_admin/reconciliation.html", form=form, figures=figures, chart=chart,
                           labels=FIGURE_LABELS, today=today,
                           args=period_args(period) if period else {},
                           bank_lines_url=bank_lines_url(period) if period else None,
                           csv_url=url_for("ledger_api.report_csv", name="reconciliation",
                                           **period_args(period)) if period else None), status


@bp.get("/reconciliation/rows")
@require(Permission.ADMIN_REPORTS_VIEW)
def reconciliation_rows():  # type: ignore[no-untyped-def]
    figure = request.args.get("figure", "")
    if figure not in FIGURES:
        abort(404)
    today = today_in_brussels()
    form = PeriodForm(request.args)
    period, status = read_period(form, domain.month_of(today))
    page = None
    next_url = None
    if period is not None:
        after = request.args.get("after", type=int)
        page = reconciliation.figure_rows(db.session, current_user, period, figure, today=today, limit=PAGE_SIZE,
                                          after_id=after if after and 0 < after <= MAX_ID else None)
        if page.next_after is not None:
            next_url = url_for(".reconciliation_rows", figure=figure, **period_args(period), after=page.next_after)
    return render_template("fund_admin/reconciliation_rows.html", form=form, figure=figure, page=page,
                           label=FIGURE_LABELS[figure], state_labels=STATE_LABELS, claim_status_labels=CLAIM_STATUS_LABELS,
                           account_labels=ACCOUNT_LABELS, kind_labels=KIND_LABELS,
                           next_url=next_url,
                           first_url=request.args.get("after") and period and url_for(
                               ".reconciliation_rows", figure=figure, **period_args(period)),
                           back_url=url_for(".reconciliation_page", **(period_args(period) if period else {})),
                           ), status


@bp.get("/reports")
@require(Permission.ADMIN_REPORTS_VIEW)
def reports_index():  # type: ignore[no-untyped-def]
    return render_template("fund_admin/reports.html", names=reports.REPORTS, titles=REPORT_TITLES,
                           descriptions=REPORT_DESCRIPTIONS, journal_period=domain.month_of(today_in_brussels()))


@bp.get("/reports/<name>")
@require(Permission.ADMIN_REPORTS_VIEW)
def report(name: str):  # type: ignore[no-untyped-def]
    if name not in reports.REPORTS:
        abort(404)
    if name == "reconciliation":
        return redirect(url_for(".reconciliation_page", **_period_query()))
    today = today_in_brussels()
    context: dict[str, Any] = {"name": name, "title": REPORT_TITLES[name], "description": REPORT_DESCRIPTIONS[name],
                               "today": today}
    status = 200
    csv_args: dict[str, str] = {}
    if name == "contribution-aging":
        form = DayForm(request.args)
        on = today
        if request.args.get("on"):
            if form.validate() and domain.EARLIEST_ON <= form.on.data <= domain.LATEST_ON:
                on = form.on.data
            else:
                form.on.errors = list(form.on.errors or []) or [_("Give a date between 2000-01-01 and 2099-12-31.")]
                status = 422
        else:
            form.on.data = today
        if status == 200:
            aging = reports.contribution_aging(db.session, on=on, today=today)
            csv_args = {"on": on.isoformat()}
            context.update(aging=aging, labels=AGING_LABELS, chart=bar_chart(
                [(b.key, str(AGING_LABELS[b.key]), b.outstanding_cents) for b in aging.buckets]))
        context["form"] = form
    elif name == "waiting-list":
        waiting = reports.waiting_list(db.session, today=today)
        context.update(waiting=waiting, chart=column_chart(
            [(_month_label(m.month), [m.count]) for m in waiting.months], [("waiting", _("Requests waiting"))],
            ticks=_month_ticks([m.month for m in waiting.months])))
    else:
        form = PeriodForm(request.args)
        period, status = read_period(form, domain.last_twelve_months(today))
        context["form"] = form
        if period is not None:
            csv_args = period_args(period)
            context.update(_period_report(name, period, today))
    if status == 200:
        context["csv_url"] = url_for("ledger_api.report_csv", name=name, **csv_args)
    return render_template(f"fund_admin/report_{name.replace('-', '_')}.html", **context), status


def _period_report(name: str, period: Period, today: Any) -> dict[str, Any]:
    if name == "money-in-out":
        money = reports.money_in_out(db.session, period)
        return {"money": money, "chart": column_chart(
            [(_month_label(m.month), [m.money_in_cents, m.paid_out.cents]) for m in money.months],
            [("in", _("Money in")), ("out", _("Money out"))], ticks=_month_ticks([m.month for m in money.months]))}
    if name == "decision-compliance":
        compliance = reports.decision_compliance(db.session, period, today=today)
        return {"compliance": compliance, "chart": column_chart(
            [(_month_label(m.month), [m.on_time, m.late, m.open_overdue]) for m in compliance.months],
            [("on_time", _("Decided within 45 days")), ("late", _("Decided late")),
             ("open_overdue", _("Still waiting after day 45"))], stacked=True,
            ticks=_month_ticks([m.month for m in compliance.months]))}
    volumes = reports.provider_volumes(db.session, period)
    return {"volumes": volumes, "chart": bar_chart(
        [("paid", p.name, p.claims_paid.cents) for p in volumes.providers])}
