"""Employer pages for agents: an employer's users invite, list and remove the social secretariats acting
for it; the invitee accepts through the e-mailed link; an agent sees the employers it acts for and
switches between them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.auth.session_start import sign_in_fresh
from portal.clock import utcnow
from portal.db import db
from portal.errors import Conflict, DomainError
from portal.i18n import select_locale
from portal.mail import queue_mail
from portal.notifications.services import notify, page
from portal.permissions import Permission, require
from portal.web import expired_button, form_post, refused, saved
from vouchers.employers.agents import services as agents
from vouchers.employers.company_access.pages import may_act_page
from vouchers.employers.forms import (
    AcceptInvitationForm,
    AgentAccountForm,
    AgentForm,
    CancelInvitationForm,
    ColleagueForm,
    RemoveAgentForm,
)
from vouchers.employers.models import Employer, EmployerAgentInvitation

bp = Blueprint("employer_agents", __name__, url_prefix="/employer")


INVITATION_PAGE = "employers/agent_invitation.html"


def send_invitation(session: Session, actor: Any, invitation: EmployerAgentInvitation) -> None:
    """E-mail the signed link, in the invitee's language when the address has an account, else the inviter's."""
    token = agents.make_token(current_app.config["SECRET_KEY"], invitation)
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("employer_agents.accept", token=token)
    account = agents.invitee_account(session, invitation)
    with force_locale(account.language if account is not None else actor.language):
        company = agents.company_name(session, invitation)
        if invitation.kind == "colleague":
            subject = _("%(company)s invites you to its account on the Return to Work Fund portal", company=company)
            body = _("Hello,\n\n%(name)s invites you to join %(company)s on the Return to Work Fund portal, to "
                     "declare dismissals and pay contributions with your colleagues.\n\nTo accept, open this link "
                     "within %(days)s days:\n%(link)s\n\nIf you have no account with this e-mail address, the "
                     "link lets you create one.\n\nIf you were not expecting this invitation, you can ignore this "
                     "message.\n", name=actor.display_name, company=company, days=agents.INVITATION_DAYS, link=link)
        else:
            subject = _("%(company)s invites you to act as its agent", company=company)
            body = _("Hello,\n\n%(name)s invites you to declare dismissals and pay contributions for %(company)s on "
                     "the Return to Work Fund portal, as its social secretariat or agent.\n\nTo accept, open this "
                     "link within %(days)s days:\n%(link)s\n\nYou need an employer account with this e-mail "
                     "address: if you have none, the link lets you create one.\n\nIf you were not expecting this "
                     "invitation, you can ignore this message.\n", name=actor.display_name, company=company,
                     days=agents.INVITATION_DAYS, link=link)
    queue_mail(session, to=invitation.email, subject=subject, body=body,
               user_id=account.id if account is not None else None)


def _tell_inviter(session: Session, invitation: EmployerAgentInvitation, agent: User) -> None:
    inviter = session.get(User, invitation.invited_by_id) if invitation.invited_by_id else None
    if inviter is None or not inviter.is_active:
        return
    notify(session, [inviter], "agent_joined", key=f"agent-invitation-accepted-{invitation.id}",
           link=page("employer_agents.agents_page"), object_type="employer", object_id=invitation.employer_id,
           agent=agent.display_name, email=agent.email, company=agents.company_name(session, invitation))


def _page(form: AgentForm, status: int = 200):  # type: ignore[no-untyped-def]
    manages = current_user.employer_id is not None
    links = agents.list_agents(db.session, current_user, limit=200)[0] if manages else []
    invitations = agents.list_invitations(db.session, current_user) if manages else []
    company = db.session.get(Employer, current_user.employer_id) if manages else None
    return render_template("employers/agents.html", form=form, remove_form=RemoveAgentForm(), links=links,
                           invitations=invitations, cancel_form=CancelInvitationForm(), now=utcnow(),
                           company=company, acting_for=agents.acting_for(db.session, current_user)), status


@bp.route("/agents", methods=["GET", "POST"])
@require(Permission.EMPLOYER_AGENTS_MANAGE)
@may_act_page
def agents_page():  # type: ignore[no-untyped-def]
    form = AgentForm()

    def invite() -> EmployerAgentInvitation:
        invitation = agents.invite_agent(db.session, current_user, email=form.email.data or "",
                                         name=form.name.data or "", now=utcnow())
        send_invitation(db.session, current_user, invitation)
        return invitation

    # An agent already linked, or too many pending invitations (409), is shown on the form too, with 422.
    return form_post(form, invite, refusal_status=422,
                     done=lambda invitation: saved(_("An invitation was sent to %(email)s. The agent appears here "
                                                     "once they accept it.", email=invitation.email),
                                                   url_for("employer_agents.agents_page")),
                     again=lambda status: _page(form, status))


@bp.route("/colleagues", methods=["GET", "POST"])
@require(Permission.EMPLOYER_AGENTS_MANAGE)
@may_act_page
def colleagues_page():  # type: ignore[no-untyped-def]
    """Invite a colleague to the company's own account; the answer is the same whatever the address."""
    form = ColleagueForm()

    def invite() -> str:
        name = f"{form.first_name.data or ''} {form.last_name.data or ''}".strip()
        invitation = agents.invite_colleague(db.session, current_user, email=form.email.data or "", name=name,
                                             now=utcnow())
        if invitation is not None:
            send_invitation(db.session, current_user, invitation)
        return form.email.data or ""

    return form_post(form, invite,
                     done=lambda email: saved(_("If %(email)s can join, an invitation is on its way. Your colleague "
                                                "appears among your users once they accept it.", email=email),
                                              url_for("employer_agents.colleagues_page")),
                     again=lambda status: (render_template("employers/colleagues.html", form=form), status))


@bp.route("/agents/<int:agent_id>/remove", methods=["POST"])
@require(Permission.EMPLOYER_AGENTS_MANAGE)
def remove(agent_id: int):  # type: ignore[no-untyped-def]
    back = url_for("employer_agents.agents_page")
    return form_post(RemoveAgentForm(), lambda: agents.remove_agent(db.session, current_user, agent_id, now=utcnow()),
                     errors=(), again=expired_button(back),
                     done=lambda agent: saved(_("%(email)s no longer acts for your company.", email=agent.email), back))


@bp.route("/agents/invitations/<int:invitation_id>/cancel", methods=["POST"])
@require(Permission.EMPLOYER_AGENTS_MANAGE)
def cancel_invitation(invitation_id: int):  # type: ignore[no-untyped-def]
    back = url_for("employer_agents.agents_page")
    # Accepted or cancelled meanwhile: said on the page.
    return form_post(CancelInvitationForm(), lambda: agents.cancel_invitation(db.session, current_user, invitation_id,
                                                                              now=utcnow()),
                     errors=(), flashed=(Conflict,), back=back, again=expired_button(back),
                     done=lambda invitation: saved(_("The invitation to %(email)s is cancelled: its link no longer "
                                                     "works.", email=invitation.email), back))


def _refused(message: str, status: int, company: str | None = None):  # type: ignore[no-untyped-def]
    return render_template(INVITATION_PAGE, state="refused", message=_(message), company=company), status


def _unusable(error: agents.InvitationUnusable):  # type: ignore[no-untyped-def]
    # A link that never existed is a 404; one that did but is over (expired, used, cancelled) is gone.
    return _refused(error.message, 404 if error.reason == "invalid" else 410)


def _joined(invitation: EmployerAgentInvitation, company: str):  # type: ignore[no-untyped-def]
    if invitation.kind == "colleague":
        return saved(_("Welcome to %(company)s: you can declare its dismissals and pay its contributions.",
                       company=company), url_for("employers.dashboard"))
    return saved(_("You now act for %(company)s: you can declare its dismissals and pay its contributions.",
                   company=company), url_for("employers.dashboard", employer_id=invitation.employer_id))


@bp.route("/agents/accept/<token>", methods=["GET", "POST"])
def accept(token: str):  # type: ignore[no-untyped-def]
    now = utcnow()
    try:
        invitation = agents.invitation_for_token(db.session, current_app.config["SECRET_KEY"], token,
                                                            now=now)
    except agents.InvitationUnusable as error:
        return _unusable(error)
    company = agents.company_name(db.session, invitation)
    if not current_user.is_authenticated:
        if agents.invitee_account(db.session, invitation) is not None:
            flash(_("Log in with %(email)s to accept the invitation of %(company)s.", email=invitation.email,
                    company=company), "info")
            return redirect(url_for("auth.login", next=url_for("employer_agents.accept", token=token)))
        return _register(invitation, company, token)
    problem = agents.acceptance_problem(invitation, current_user)
    if problem is not None:
        return _refused(problem.message, problem.status, company)
    form = AcceptInvitationForm()

    def join() -> None:
        agents.accept_invitation(db.session, invitation, current_user, now=now)
        _tell_inviter(db.session, invitation, current_user)

    # Accepted, cancelled or no longer possible meanwhile: the invitation's page says so, with its status.
    return form_post(form, join, errors=(DomainError,),
                     refusal=lambda error: (_unusable(error) if isinstance(error, agents.InvitationUnusable)
                                            else _refused(error.message, error.status, company)),
                     done=lambda joined: _joined(invitation, company),
                     again=lambda status: (render_template(INVITATION_PAGE, state="confirm", form=form, company=company,
                                                           invitation=invitation), status))


def _register(invitation: EmployerAgentInvitation, company: str, token: str):  # type: ignore[no-untyped-def]
    form = AgentAccountForm()
    if not form.is_submitted():
        first, _sep, last = invitation.name.partition(" ")
        form.first_name.data, form.last_name.data = first, last
        form.language.data = select_locale()

    def register() -> User:
        user = agents.register_and_accept(
            db.session, invitation, first_name=form.first_name.data or "", last_name=form.last_name.data or "",
            password=form.password.data or "", language=form.language.data or "fr", now=utcnow())
        _tell_inviter(db.session, invitation, user)
        return user

    def page(status: int):  # type: ignore[no-untyped-def]
        return render_template(INVITATION_PAGE, state="register", form=form, company=company,
                               invitation=invitation), status

    def refusal(error: DomainError):  # type: ignore[no-untyped-def]
        if isinstance(error, agents.InvitationUnusable):
            return _unusable(error)
        if isinstance(error, Conflict):
            if error.code != "email_taken":
                raise error
            # An account was made for this address meanwhile: it accepts after logging in.
            return redirect(url_for("auth.login", next=url_for("employer_agents.accept", token=token)))
        refused(form, error)
        return page(422)

    def joined(user: User):  # type: ignore[no-untyped-def]
        response = _joined(invitation, company)
        sign_in_fresh(user)  # a new session id for the new account
        return response

    return form_post(form, register, errors=(DomainError,), refusal=refusal, done=joined, again=page)
