"""Employer pages for agents: an employer's users link, list and remove the social secretariats acting
for it; an agent sees the employers it acts for and switches between them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from portal.auth.emails import queue_password_reset
from portal.clock import utcnow
from portal.db import db
from portal.errors import N_, DomainError
from portal.mail import commit
from portal.notify import notify_user
from portal.permissions import Permission, require
from portal.web import attach_errors
from vouchers.employers import agents
from vouchers.employers.forms import AgentForm, RemoveAgentForm
from vouchers.models import Employer

bp = Blueprint("employer_agents", __name__, url_prefix="/employer")


def tell_agent(session: Session, actor: Any, result: agents.LinkResult) -> None:
    """The agent learns it may act for the company; a new account also gets its "choose a password" link."""
    if result.invited:
        queue_password_reset(session, result.agent)
    company = session.get(Employer, result.link.employer_id)
    assert company is not None
    notify_user(session, result.agent, key=f"agent-linked-{result.link.id}",
                subject=N_("You can now declare for %(company)s"),
                body=N_("Hello,\n\n%(name)s linked your account as an agent of %(company)s on the Return to Work Fund "
                        "portal. You can now declare its dismissals and pay its contributions: choose %(company)s "
                        "when you declare.\n\nIf your account is new, choose your password with the link we sent "
                        "you, or with \"Forgot your password?\" on the login page.\n"),
                name=actor.display_name, company=company.company_name)


def _page(form: AgentForm, status: int = 200):  # type: ignore[no-untyped-def]
    manages = current_user.employer_id is not None
    links = agents.list_agents(db.session, current_user, limit=200)[0] if manages else []
    company = db.session.get(Employer, current_user.employer_id) if manages else None
    return render_template("employers/agents.html", form=form, remove_form=RemoveAgentForm(), links=links,
                           company=company, acting_for=agents.acting_for(db.session, current_user)), status


@bp.route("/agents", methods=["GET", "POST"])
@require(Permission.EMPLOYER_AGENTS_MANAGE)
def agents_page():  # type: ignore[no-untyped-def]
    form = AgentForm()
    if form.validate_on_submit():
        try:
            result = agents.link_agent(db.session, current_user, email=form.email.data or "",
                                       name=form.name.data or "", now=utcnow())
        except DomainError as error:
            db.session.rollback()
            if error.status == 403:
                raise
            attach_errors(form, error)
        else:
            tell_agent(db.session, current_user, result)
            commit()
            flash(_("%(email)s can now declare for your company. We told them by e-mail.",
                    email=result.agent.email), "success")
            return redirect(url_for("employer_agents.agents_page"))
    return _page(form, 422 if form.is_submitted() else 200)


@bp.route("/agents/<int:agent_id>/remove", methods=["POST"])
@require(Permission.EMPLOYER_AGENTS_MANAGE)
def remove(agent_id: int):  # type: ignore[no-untyped-def]
    form = RemoveAgentForm()
    if not form.validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(url_for("employer_agents.agents_page"))
    agent = agents.remove_agent(db.session, current_user, agent_id, now=utcnow())
    commit()
    flash(_("%(email)s no longer acts for your company.", email=agent.email), "success")
    return redirect(url_for("employer_agents.agents_page"))
