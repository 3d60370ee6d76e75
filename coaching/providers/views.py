"""Providers' pages: the fund lists and delists providers; a provider's staff keep its offers, coaches and vouchers.

Each view loads (404), authorizes (``@require``), validates, calls a service, commits once and
redirects. A refused form shows the page again with what was typed and the reasons (422);
a refused action (409) is flashed. The JSON API (``coaching.providers.api``) runs the same services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.marketplace.forms import REGION_LABELS
from coaching.providers.domain import STANDARD_MIXES
from coaching.providers.forms import (
    PROVIDER_FILTERS,
    AcceptForm,
    CoachForm,
    DelistForm,
    OfferForm,
    ProviderEditForm,
    ProviderForm,
    StandardOfferForm,
)
from coaching.providers.models import Coach, Offer, Provider
from coaching.providers.presenters import provider_voucher_page, provider_voucher_row
from coaching.providers.services import listing
from coaching.providers.services import offers as offer_services
from coaching.providers.services.listing import ProviderListing
from coaching.providers.services.providers import active_coaches
from portal.auth.emails import queue_password_reset
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import N_, Conflict, ValidationFailed
from portal.forms import ActionForm, choices
from portal.fund_settings import rules_on
from portal.i18n import LANGUAGE_NAMES, hours
from portal.permissions import Permission, Role, can, require
from portal.web import expired_button, form_post, saved
from vouchers.requests.models import Voucher
from vouchers.requests.reads import voucher_read
from vouchers.requests.services import vouchers as voucher_services
from vouchers.requests.usage import usage_totals
from vouchers.search import read_search

bp = Blueprint("providers", __name__)


@bp.get("/admin/fund/providers")
@require(Permission.ADMIN_PROVIDERS_MANAGE)
def providers():  # type: ignore[no-untyped-def]
    today = today_in_brussels()
    form = PROVIDER_FILTERS.read(request.args)
    found = (listing.providers_for_fund(db.session, current_user, read_search(form.values["q"]))
             if form.valid() else [])
    return render_template("fund_admin/providers.html", providers=found, form=form, searched=bool(form.values["q"]),
                           warnings=listing.label_expiry_overview(db.session, today), today=today,
                           region_labels=REGION_LABELS, language_names=LANGUAGE_NAMES,
                           format_enterprise=_format_enterprise,
                           warning_days=rules_on(db.session, today).label_warning_days), 200 if form.valid() else 422


def _format_enterprise(number: str) -> str:
    """BE 0403.170.701, as the BCE/KBO writes it."""
    return f"BE {number[:4]}.{number[4:7]}.{number[7:]}" if len(number) == 10 and number.isdigit() else number


@bp.route("/admin/fund/providers/new", methods=["GET", "POST"])
@require(Permission.ADMIN_PROVIDERS_MANAGE)
def new_provider():  # type: ignore[no-untyped-def]
    form = ProviderForm()

    def list_it() -> tuple[Provider, Any]:
        data = ProviderListing(
            name=form.name.data or "", enterprise_number=form.enterprise_number.data or "",
            quality_label=form.quality_label.data or "", label_valid_until_on=form.label_valid_until_on.data,
            iban=form.iban.data or "", regions=list(form.regions.data or []),
            languages=list(form.languages.data or []), admin_email=form.admin_email.data or "",
            admin_name=form.admin_name.data or "")
        provider, user = listing.list_provider(db.session, current_user, data, today=today_in_brussels(), now=utcnow())
        queue_password_reset(db.session, user)
        return provider, user

    return form_post(form, list_it,
                     done=lambda listed: saved(_("%(name)s is listed. Its administrator %(email)s is invited by "
                                                 "e-mail.", name=listed[0].name, email=listed[1].email),
                                               url_for(".providers")),
                     again=lambda status: (render_template("fund_admin/provider_form.html", form=form), status))


@bp.route("/admin/fund/providers/<int:provider_id>/edit", methods=["GET", "POST"])
@require(Permission.ADMIN_PROVIDERS_MANAGE)
def edit_provider(provider_id: int):  # type: ignore[no-untyped-def]
    """Record a renewed quality label, a new IBAN, regions or languages."""
    provider = db.session.get(Provider, provider_id)
    if provider is None:
        abort(404)
    form = ProviderEditForm(data={
        "quality_label": provider.quality_label, "label_valid_until_on": provider.label_valid_until_on,
        "iban": provider.iban, "regions": [c for c in provider.regions.split(",") if c],
        "languages": [c for c in provider.languages.split(",") if c]})
    changes = lambda: {name: getattr(form, name).data for name in listing.EDITABLE}
    return form_post(form, lambda: listing.update_provider(db.session, current_user, provider_id, changes(),
                                                           now=utcnow()),
                     done=lambda p: saved(_("%(name)s is updated.", name=p.name), url_for(".providers")),
                     again=lambda status: (render_template("fund_admin/provider_edit.html", form=form,
                                                           provider=provider), status))


@bp.route("/admin/fund/providers/<int:provider_id>/delist", methods=["GET", "POST"])
@require(Permission.ADMIN_PROVIDERS_MANAGE)
def delist(provider_id: int):  # type: ignore[no-untyped-def]
    provider = db.session.get(Provider, provider_id)
    if provider is None:
        abort(404)
    form = DelistForm()
    # Already delisted is flashed on the list; any other refusal goes to the error page.
    return form_post(form, lambda: listing.delist_provider(db.session, current_user, provider_id, now=utcnow(),
                                                           reason=form.reason.data),
                     errors=(), flashed=(Conflict,), back=url_for(".providers"),
                     done=lambda _p: saved(_("%(name)s is delisted. Its history is kept.", name=provider.name),
                                           url_for(".providers")),
                     again=lambda status: (render_template("fund_admin/delist.html", form=form, provider=provider),
                                           status))


def _voucher_row(voucher: Voucher) -> dict[str, Any]:
    read = voucher_read(db.session, voucher.id)
    assert read is not None
    return provider_voucher_row(current_user, read)


@bp.route("/provider/vouchers")
@require(Permission.PROVIDER_VOUCHERS_VIEW)
def vouchers():  # type: ignore[no-untyped-def]
    """The provider's vouchers, and those waiting for it to accept a change of provider, 50 a page."""
    cursor = request.args.get("cursor") or None
    page_size = current_app.config.get("PROVIDER_VOUCHERS_PAGE_SIZE", 50)
    try:
        rows, next_cursor = provider_voucher_page(db.session, current_user, cursor=cursor, limit=page_size)
    except ValidationFailed:
        flash(_("This page link is not valid any more. Here is the first page."), "error")
        cursor = None
        rows, next_cursor = provider_voucher_page(db.session, current_user, limit=page_size)
    return render_template("coaching/staff/vouchers.html", rows=rows,
                           first_url=url_for(".vouchers") if cursor is not None else None,
                           next_url=next_cursor and url_for(".vouchers", cursor=next_cursor))


def _accept_form(voucher: Voucher) -> AcceptForm:
    form = AcceptForm(data={"offer_id": voucher.offer_id} if voucher.provider_id == current_user.provider_id else None)
    offers = [o for o in offer_services.provider_offers(db.session, current_user) if o.active]
    form.offer_id.choices = choices({o.id: _offer_label(o) for o in offers})
    return form


def _offer_label(offer: Offer) -> str:
    return ngettext("%(name)s: %(h)s h individual + %(num)d group session",
                    "%(name)s: %(h)s h individual + %(num)d group sessions", offer.collective_sessions,
                    name=offer.name, h=offer.individual_hours)


@dataclass
class Left:
    """What a voucher has delivered, booked and left, in the units of its mix."""

    individual_minutes: dict[str, int] = field(default_factory=dict)
    collective_sessions: dict[str, int] = field(default_factory=dict)


def _balance(voucher: Voucher) -> Left | None:
    if voucher.individual_hours is None:
        return None
    totals = usage_totals(db.session, voucher.id)
    minutes = voucher.individual_hours * 60
    groups = voucher.collective_sessions or 0
    return Left(
        individual_minutes={"planned": minutes, "delivered": totals.individual_minutes,
                            "booked": totals.scheduled_individual_minutes,
                            "left": max(0, minutes - totals.individual_minutes - totals.scheduled_individual_minutes)},
        collective_sessions={"planned": groups, "delivered": totals.collective_sessions,
                             "booked": totals.scheduled_collective_sessions,
                             "left": max(0, groups - totals.collective_sessions
                                         - totals.scheduled_collective_sessions)})


def _voucher_sessions(voucher: Voucher) -> list[tuple[SessionSeat, CoachingSession, Coach]]:
    query = (select(SessionSeat, CoachingSession, Coach)
             .join(CoachingSession, CoachingSession.id == SessionSeat.session_id)
             .join(Coach, Coach.id == CoachingSession.coach_id)
             .where(SessionSeat.voucher_id == voucher.id, CoachingSession.provider_id == current_user.provider_id)
             .order_by(CoachingSession.starts_at))
    if current_user.role == Role.COACH:  # a coach opens only their own sessions
        query = query.where(Coach.user_id == current_user.id)
    return [tuple(row) for row in db.session.execute(query)]  # type: ignore[misc]


def _voucher_page(voucher: Voucher, form: AcceptForm, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("coaching/staff/voucher.html", voucher=_voucher_row(voucher), balance=_balance(voucher),
                           sessions=_voucher_sessions(voucher), form=form,
                           can_accept=can(current_user, Permission.PROVIDER_VOUCHERS_ACCEPT)), status


@bp.route("/provider/vouchers/<int:voucher_id>")
@require(Permission.PROVIDER_VOUCHERS_VIEW)
def voucher(voucher_id: int):  # type: ignore[no-untyped-def]
    voucher = voucher_services.get_voucher(db.session, current_user, voucher_id)
    return _voucher_page(voucher, _accept_form(voucher))


@bp.route("/provider/vouchers/<int:voucher_id>/accept", methods=["POST"])
@require(Permission.PROVIDER_VOUCHERS_ACCEPT)
def accept_voucher(voucher_id: int):  # type: ignore[no-untyped-def]
    """Accept the voucher (also after a change of provider) and fix its mix, or re-plan it later."""
    voucher = voucher_services.get_voucher(db.session, current_user, voucher_id)
    form = _accept_form(voucher)
    replanning = voucher.individual_hours is not None and voucher.provider_id == current_user.provider_id

    def accept() -> None:
        now = utcnow()
        if voucher.pending_provider_id == current_user.provider_id:
            voucher_services.accept_provider_change(db.session, current_user, voucher.id, now=now)
        offer_services.accept_voucher(db.session, current_user, voucher.id, form.offer_id.data, now=now)

    return form_post(form, accept,
                     done=lambda _r: saved(_("The mix is re-planned.") if replanning
                                           else _("The voucher is accepted and its mix is fixed."),
                                           url_for(".voucher", voucher_id=voucher_id)),
                     again=lambda status: _voucher_page(voucher, form, status))


def _standard_key(individual_hours: int, collective_sessions: int) -> str:
    return f"{individual_hours}-{collective_sessions}"


def _standard_form() -> StandardOfferForm:
    form = StandardOfferForm()
    form.mix.choices = choices({_standard_key(m.individual_hours, m.collective_sessions): m.individual_hours
                                for m in STANDARD_MIXES})
    return form


def _offer_form() -> OfferForm:
    rules = rules_on(db.session, today_in_brussels())
    return OfferForm(data={"individual_unit_cents": rules.default_individual_unit_cents,
                           "collective_unit_cents": rules.default_collective_unit_cents})


def _offers_page(form: OfferForm | None = None, standard: StandardOfferForm | None = None,  # type: ignore[no-untyped-def]
                 status: int = 200):
    rules = rules_on(db.session, today_in_brussels())
    mixes = [{"key": _standard_key(m.individual_hours, m.collective_sessions), "mix": m,
              "total_hours": hours(m.total_minutes(rules)),
              "cost_cents": m.individual_hours * rules.default_individual_unit_cents
              + m.collective_sessions * rules.default_collective_unit_cents} for m in STANDARD_MIXES]
    return render_template("coaching/staff/offers.html",
                           offers=offer_services.provider_offers(db.session, current_user),
                           form=form or _offer_form(), standard_form=standard or _standard_form(), mixes=mixes,
                           rules=rules, collective_minutes=rules.collective_session_minutes), status


@bp.route("/provider/offers", methods=["GET", "POST"])
@require(Permission.PROVIDER_OFFERS_MANAGE)
def offers():  # type: ignore[no-untyped-def]
    """The provider's offers; a custom mix is created here (POST)."""
    form = _offer_form()
    return form_post(form, lambda: offer_services.create_offer(
        db.session, current_user, name=form.name.data or "", individual_hours=form.individual_hours.data,
        collective_sessions=form.collective_sessions.data, individual_unit_cents=form.individual_unit_cents.data,
        collective_unit_cents=form.collective_unit_cents.data, today=today_in_brussels()),
        done=lambda _o: saved(_("The offer is created."), url_for(".offers")),
        again=lambda status: _offers_page(form=form, status=status))


@bp.route("/provider/offers/standard", methods=["POST"])
@require(Permission.PROVIDER_OFFERS_MANAGE)
def create_standard_offer():  # type: ignore[no-untyped-def]
    """One click on one of the fund's standard mixes, at the fund's default unit prices."""
    form = _standard_form()

    def create() -> Offer:
        individual_hours, collective_sessions = (int(n) for n in form.mix.data.split("-"))
        return offer_services.create_offer(
            db.session, current_user, individual_unit_cents=None, collective_unit_cents=None,
            name=ngettext("%(h)s h individual + %(num)d group session", "%(h)s h individual + %(num)d group sessions",
                          collective_sessions, h=individual_hours),
            individual_hours=individual_hours, collective_sessions=collective_sessions, today=today_in_brussels())

    return form_post(form, create, done=lambda _o: saved(_("The offer is created."), url_for(".offers")),
                     again=lambda status: _offers_page(standard=form, status=status))


@bp.route("/provider/offers/<int:offer_id>/deactivate", methods=["POST"])
@require(Permission.PROVIDER_OFFERS_MANAGE)
def deactivate_offer(offer_id: int):  # type: ignore[no-untyped-def]
    """No new voucher can be accepted with this offer; vouchers planned with it keep their mix."""
    return _set_offer_active(offer_id, False)


@bp.route("/provider/offers/<int:offer_id>/reactivate", methods=["POST"])
@require(Permission.PROVIDER_OFFERS_MANAGE)
def reactivate_offer(offer_id: int):  # type: ignore[no-untyped-def]
    return _set_offer_active(offer_id, True)


def _set_offer_active(offer_id: int, active: bool):  # type: ignore[no-untyped-def]
    offer = offer_services.get_offer(db.session, current_user, offer_id)  # someone else's: 404

    # A bare button: a refusal goes to the error page.
    return form_post(ActionForm(), lambda: offer_services.set_offer_active(db.session, current_user, offer.id, active,
                                                                           now=utcnow()),
                     errors=(), again=expired_button(url_for(".offers"),
                                                     N_("The form had expired. Please send it again.")),
                     done=lambda _o: saved(_("The offer %(name)s can be chosen again.", name=offer.name) if active else
                                           _("The offer %(name)s is deactivated: vouchers already planned with it "
                                             "keep their mix.", name=offer.name), url_for(".offers")))


@bp.route("/provider/coaches", methods=["GET", "POST"])
@require(Permission.PROVIDER_COACHES_MANAGE)
def coaches():  # type: ignore[no-untyped-def]
    """The provider's coaches; inviting one creates the account and e-mails a link to choose a password."""
    form = CoachForm()

    def invite() -> None:
        _coach, user = offer_services.add_coach(db.session, current_user, name=form.name.data or "",
                                                email=form.email.data or "", timezone=form.timezone.data,
                                                language=form.language.data)
        queue_password_reset(db.session, user)

    return form_post(form, invite,
                     done=lambda _r: saved(_("The coach is added and gets an e-mail to choose a password."),
                                           url_for(".coaches")),
                     again=lambda status: (render_template("coaching/staff/coaches.html", form=form,
                                                           coaches=active_coaches(db.session,
                                                                                  current_user.provider_id)), status))
