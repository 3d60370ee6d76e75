"""The provider administrator's pages: the public profile, contact points and catalogue themes.

Always the administrator's own provider (``current_user.provider_id``); another provider's
contact point or theme is "not found".
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from coaching.marketplace import domain
from coaching.marketplace.forms import (
    KIND_LABELS,
    MODE_LABELS,
    REGION_LABELS,
    TOPIC_LABELS,
    ConfirmRemoveForm,
    ContactPointForm,
    ProfileForm,
    ThemeForm,
)
from coaching.marketplace.services import profiles
from portal.db import db
from portal.permissions import Permission, require
from portal.web import form_post, saved

bp = Blueprint("provider_profile", __name__, url_prefix="/provider")


def _remove(action: Callable[[], object], message: str):  # type: ignore[no-untyped-def]
    """The remove buttons: a sent form without its token is a bad request; a refusal goes to the error page."""
    return form_post(ConfirmRemoveForm(), action, errors=(), again=lambda _status: abort(400),
                     done=lambda _r: saved(message, url_for(".edit_profile")))


@bp.route("/profile", methods=["GET", "POST"])
@require(Permission.PROVIDER_PROFILE_EDIT)
def edit_profile():  # type: ignore[no-untyped-def]
    provider = profiles.get_own_provider(db.session, current_user)
    form = ProfileForm(data={"description": provider.description, "languages": domain.split_codes(provider.languages)})

    def page(status: int):  # type: ignore[no-untyped-def]
        contact_points, themes = profiles.list_own_places(db.session, current_user)
        return render_template("coaching/provider/profile.html", form=form, provider=provider,
                               contact_points=contact_points, themes=themes, remove_form=ConfirmRemoveForm(),
                               region_labels=REGION_LABELS, topic_labels=TOPIC_LABELS, kind_labels=KIND_LABELS,
                               mode_labels=MODE_LABELS), status

    return form_post(form, lambda: profiles.update_provider_profile(
        db.session, current_user, description=form.description.data or "", languages=list(form.languages.data or [])),
        done=lambda result: saved(_("Your profile is saved."), url_for(".edit_profile")), again=page)


def _contact_point_data(form: ContactPointForm) -> profiles.ContactPointData:
    return profiles.ContactPointData(
        name=form.name.data or "", street=form.street.data or "", postcode=(form.postcode.data or "").strip(),
        municipality=form.municipality.data or "", languages=list(form.languages.data or []),
        onsite=bool(form.onsite.data), online=bool(form.online.data))


@bp.route("/contact-points/new", methods=["GET", "POST"])
@require(Permission.PROVIDER_PROFILE_EDIT)
def new_contact_point():  # type: ignore[no-untyped-def]
    provider = profiles.get_own_provider(db.session, current_user)
    form = ContactPointForm(data={"languages": domain.split_codes(provider.languages), "onsite": True})
    return form_post(form, lambda: profiles.add_contact_point(db.session, current_user, _contact_point_data(form)),
                     done=lambda result: saved(_("The contact point is added."), url_for(".edit_profile")),
                     again=lambda status: (render_template("coaching/provider/contact_point.html", form=form, contact_point=None), status))


@bp.route("/contact-points/<int:contact_point_id>", methods=["GET", "POST"])
@require(Permission.PROVIDER_PROFILE_EDIT)
def edit_contact_point(contact_point_id: int):  # type: ignore[no-untyped-def]
    contact_point = profiles.get_own_contact_point(db.session, current_user, contact_point_id)
    form = ContactPointForm(data={
        "name": contact_point.name, "street": contact_point.street, "postcode": contact_point.postcode,
        "municipality": contact_point.municipality, "languages": contact_point.language_list,
        "onsite": contact_point.onsite, "online": contact_point.online})
    return form_post(form, lambda: profiles.update_contact_point(db.session, current_user, contact_point_id, _contact_point_data(form)),
                     done=lambda result: saved(_("The contact point is saved."), url_for(".edit_profile")),
                     again=lambda status: (render_template("coaching/provider/contact_point.html", form=form, contact_point=contact_point), status))


@bp.post("/contact-points/<int:contact_point_id>/remove")
@require(Permission.PROVIDER_PROFILE_EDIT)
def remove_contact_point(contact_point_id: int):  # type: ignore[no-untyped-def]
    return _remove(lambda: profiles.remove_contact_point(db.session, current_user, contact_point_id),
                   _("The contact point is removed."))


def _theme_data(form: ThemeForm) -> profiles.ThemeData:
    return profiles.ThemeData(title=form.title.data or "", description=form.description.data or "",
                            topic=form.topic.data or "other", kind=form.kind.data or "",
                            language=form.language.data or "")


@bp.route("/catalogue/new", methods=["GET", "POST"])
@require(Permission.PROVIDER_PROFILE_EDIT)
def new_theme():  # type: ignore[no-untyped-def]
    provider = profiles.get_own_provider(db.session, current_user)
    form = ThemeForm(data={"language": (domain.split_codes(provider.languages) or ["fr"])[0]})
    return form_post(form, lambda: profiles.add_catalogue_theme(db.session, current_user, _theme_data(form)),
                     done=lambda result: saved(_("The theme is added to your catalogue."), url_for(".edit_profile")),
                     again=lambda status: (render_template("coaching/provider/theme.html", form=form, theme=None), status))


@bp.route("/catalogue/<int:theme_id>", methods=["GET", "POST"])
@require(Permission.PROVIDER_PROFILE_EDIT)
def edit_theme(theme_id: int):  # type: ignore[no-untyped-def]
    theme = profiles.get_own_catalogue_theme(db.session, current_user, theme_id)
    form = ThemeForm(obj=theme)
    return form_post(form, lambda: profiles.update_catalogue_theme(db.session, current_user, theme_id, _theme_data(form)),
                     done=lambda result: saved(_("The theme is saved."), url_for(".edit_profile")),
                     again=lambda status: (render_template("coaching/provider/theme.html", form=form, theme=theme), status))


@bp.post("/catalogue/<int:theme_id>/remove")
@require(Permission.PROVIDER_PROFILE_EDIT)
def remove_theme(theme_id: int):  # type: ignore[no-untyped-def]
    return _remove(lambda: profiles.remove_catalogue_theme(db.session, current_user, theme_id),
                   _("The theme is removed from your catalogue."))
