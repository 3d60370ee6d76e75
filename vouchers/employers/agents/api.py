"""Employer API for agents: invite, list and remove the social secretariats acting for an employer, cancel
invitations, and list the employers a caller may declare for (its own and those it serves as an agent).

An invitation gets the same answer whatever the address is, so the API never tells whether an address
has an account (a beneficiary's address would reveal a person unable to work)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from portal.api_views import endpoint
from portal.auth.email_rule import EmailAddressField
from portal.clock import utcnow
from portal.db import db
from portal.mail import commit
from portal.permissions import Permission
from vouchers.employers.agents import services as agents
from vouchers.employers.agents.views import send_invitation
from vouchers.employers.company_access.gate import API_REFUSAL
from vouchers.employers.services import declarations as declaration_services

blp = Blueprint("employer_agents_api", __name__, description="Employers' agents (social secretariats)")


class AgentSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "The link's id, used to remove it."})
    agent_user_id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class InvitationSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "The invitation's id, used to cancel it."})
    email = fields.String(required=True, metadata={"description": "The invited address, lower-cased."})
    name = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(required=True, metadata={"description": "When the latest e-mail was sent."})
    expires_at = fields.DateTime(required=True, metadata={
        "description": f"The link in the latest e-mail works until then ({agents.INVITATION_DAYS} days). "
                       "Invite the same address again to send a new one."})


class InvitationSentSchema(Schema):
    invitation = fields.Nested(InvitationSchema, required=True)


class AgentPageSchema(Schema):
    items = fields.List(fields.Nested(AgentSchema), required=True, metadata={
        "description": "The accounts acting for the company (they accepted an invitation)."})
    next_cursor = fields.String(allow_none=True, required=True)
    invitations = fields.List(fields.Nested(InvitationSchema), required=True, metadata={
        "description": "The invitations not accepted yet, oldest first: all of them (at most "
                       f"{agents.MAX_OPEN_INVITATIONS}), on every page."})


class AgentQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class AgentCreateSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254), metadata={
        "description": "The address the invitation is e-mailed to. The answer is the same whether or not it has "
                       "an account; the agent acts for the company once it accepts with an employer account."})
    name = fields.String(load_default="", validate=validate.Length(max=200), metadata={
        "description": "The contact's name, shown in the list of invitations."})


class EmployerSchema(Schema):
    employer_id = fields.Integer(required=True)
    company_name = fields.String(required=True)
    enterprise_number = fields.String(required=True)
    own = fields.Boolean(required=True, metadata={
        "description": "The caller's own company (true) or one it serves as an agent (false)."})


class EmployerPageSchema(Schema):
    items = fields.List(fields.Nested(EmployerSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True, metadata={"description": "Always null: one page."})


def _agent(link: agents.AgentLink) -> dict[str, Any]:
    return {"id": link.id, "agent_user_id": link.agent_user_id, "email": link.email, "name": link.name,
            "created_at": link.created_at}


def _invitation(invitation: agents.PendingInvitation) -> dict[str, Any]:
    return {"id": invitation.id, "email": invitation.email, "name": invitation.name,
            "created_at": invitation.created_at, "sent_at": invitation.sent_at, "expires_at": invitation.expires_at}


@endpoint(blp, "/employer/agents", access=(Permission.EMPLOYER_AGENTS_MANAGE,), query=AgentQuerySchema,
          response=(200, AgentPageSchema), refusals={403: "Not a user of the employer itself (e.g. an agent)"})
def list_agents(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The accounts acting for the caller's company, oldest link first, and its pending invitations."""
    links, next_cursor = agents.list_agents(db.session, current_user, limit=query["limit"], cursor=query["cursor"])
    invitations = agents.list_invitations(db.session, current_user)
    return {"items": [_agent(link) for link in links], "next_cursor": next_cursor,
            "invitations": [_invitation(i) for i in invitations]}


@endpoint(blp, "/employer/agents", method="POST", access=(Permission.EMPLOYER_AGENTS_MANAGE,), body=AgentCreateSchema,
          response=(202, InvitationSentSchema),
          response_description="The invitation was e-mailed; the agent is listed once it accepts",
          refusals={403: f"Not a user of the employer itself, e.g. an agent (`not_your_company`); or: {API_REFUSAL}",
                    409: "This agent already acts for the company (`agent_exists`), or too many invitations are "
                         "pending (`too_many_invitations`)",
                    422: "Not a valid address, or one of the company's own users"},
          commits=False)  # the view commits before it builds the answer
def invite_agent(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Invite a social secretariat to declare and pay for the caller's company: a link valid for
    14 days is e-mailed to the address. Inviting an address with a pending invitation sends it again."""
    invitation = agents.invite_agent(db.session, current_user, email=data["email"], name=data["name"],
                                                now=utcnow())
    send_invitation(db.session, current_user, invitation)
    commit()
    pending = agents.PendingInvitation(
        invitation.id, invitation.email, invitation.name, current_user.display_name, invitation.created_at,
        invitation.sent_at, agents.expires_at(invitation))
    return {"invitation": _invitation(pending)}


class ColleagueCreateSchema(Schema):
    email = EmailAddressField(required=True, validate=validate.Length(max=254))
    first_name = fields.String(load_default="", validate=validate.Length(max=100))
    last_name = fields.String(load_default="", validate=validate.Length(max=100))


class ColleagueInvitedSchema(Schema):
    status = fields.String(required=True, metadata={"description": "Always `invitation_sent`, whatever the address."})


@endpoint(blp, "/employer/users", method="POST", access=(Permission.EMPLOYER_AGENTS_MANAGE,),
          body=ColleagueCreateSchema, response=(202, ColleagueInvitedSchema),
          refusals={403: "Not a user of the employer itself, e.g. an agent "
                   f"(`not_your_company`); or: {API_REFUSAL}", 422: "Not a valid e-mail address"})
def invite_colleague(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Invite a colleague to the caller's company account. The answer is the same whatever the address (an
    existing user of the company, another company's user, nobody yet): the link, valid 14 days, says the rest
    to the person who opens it, who joins the company's users once they accept."""
    name = f"{data['first_name']} {data['last_name']}".strip()
    invitation = agents.invite_colleague(db.session, current_user, email=data["email"], name=name, now=utcnow())
    if invitation is not None:
        send_invitation(db.session, current_user, invitation)
    return {"status": "invitation_sent"}


@endpoint(blp, "/employer/agents/<int:agent_id>", method="DELETE", access=(Permission.EMPLOYER_AGENTS_MANAGE,),
          response=(204, None), refusals={403: "Not a user of the employer itself, e.g. an agent "
                   f"(`not_your_company`); or: {API_REFUSAL}", 404: "No such agent link for the caller's company"},
          commits=False)
def remove_agent(agent_id: int):  # type: ignore[no-untyped-def]
    """The agent stops acting for the caller's company. What it declared stays, recorded under its name."""
    agents.remove_agent(db.session, current_user, agent_id, now=utcnow())
    commit()


@endpoint(blp, "/employer/agents/invitations/<int:invitation_id>", method="DELETE",
          access=(Permission.EMPLOYER_AGENTS_MANAGE,), response=(204, None),
          refusals={403: "Not a user of the employer itself, e.g. an agent "
                   f"(`not_your_company`); or: {API_REFUSAL}", 404: "No such invitation for the caller's company", 409: "The invitation was already accepted or cancelled"},
          commits=False)
def cancel_invitation(invitation_id: int):  # type: ignore[no-untyped-def]
    """Cancel a pending invitation: the link in its e-mail stops working."""
    agents.cancel_invitation(db.session, current_user, invitation_id, now=utcnow())
    commit()


@endpoint(blp, "/employer/employers", access=(Permission.DISMISSAL_DECLARE,), response=(200, EmployerPageSchema))
def my_employers():  # type: ignore[no-untyped-def]
    """The employers the caller may declare for: give one as `employer_id` to `POST /dismissals` when there are
    several."""
    return {"items": [{"employer_id": e.id, "company_name": e.company_name, "enterprise_number": e.enterprise_number,
                       "own": e.id == current_user.employer_id}
                      for e in declaration_services.employers_for(db.session, current_user)], "next_cursor": None}
