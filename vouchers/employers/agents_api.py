"""Employer API for agents: link, list and remove the social secretariats acting for an employer, and the
employers a caller may declare for (its own and those it serves as an agent)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from portal.auth.schemas import ApiErrorSchema
from portal.clock import utcnow
from portal.db import db
from portal.mail import commit
from portal.permissions import Permission, api_access
from vouchers.employers import agents, services
from vouchers.employers.agent_views import tell_agent

blp = Blueprint("employer_agents_api", __name__, description="Employers' agents (social secretariats)")


class AgentSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "The link's id, used to remove it."})
    agent_user_id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class AgentCreatedSchema(AgentSchema):
    invited = fields.Boolean(required=True, metadata={
        "description": "True when no account had this address: one was created and e-mailed a link to choose a "
                       "password."})


class AgentPageSchema(Schema):
    items = fields.List(fields.Nested(AgentSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class AgentQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class AgentCreateSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254), metadata={
        "description": "The agent's employer account; created (and invited) when there is none."})
    name = fields.String(load_default="", validate=validate.Length(max=200), metadata={
        "description": "The contact's name, used only when the account is created."})


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


@blp.route("/employer/agents", methods=["GET"])
@api_access(Permission.EMPLOYER_AGENTS_MANAGE)
@blp.arguments(AgentQuerySchema, location="query")
@blp.response(200, AgentPageSchema)
@blp.alt_response(403, schema=ApiErrorSchema, description="Not a user of the employer itself (e.g. an agent)")
@blp.doc(security=[{"bearerAuth": []}])
def list_agents(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The accounts acting for the caller's company, oldest link first."""
    links, next_cursor = agents.list_agents(db.session, current_user, limit=query["limit"], cursor=query["cursor"])
    return {"items": [_agent(link) for link in links], "next_cursor": next_cursor}


@blp.route("/employer/agents", methods=["POST"])
@api_access(Permission.EMPLOYER_AGENTS_MANAGE)
@blp.arguments(AgentCreateSchema)
@blp.response(201, AgentCreatedSchema)
@blp.alt_response(403, schema=ApiErrorSchema, description="Not a user of the employer itself (e.g. an agent)")
@blp.alt_response(409, schema=ApiErrorSchema, description="This agent already acts for the company")
@blp.alt_response(422, schema=ApiErrorSchema, description="Not a valid address, one of the company's own users, or "
                                                          "an account that is not an employer account")
@blp.doc(security=[{"bearerAuth": []}])
def link_agent(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Let a social secretariat's account declare and pay for the caller's company. The agent is told by e-mail."""
    result = agents.link_agent(db.session, current_user, email=data["email"], name=data["name"], now=utcnow())
    tell_agent(db.session, current_user, result)
    commit()
    name = f"{result.agent.first_name} {result.agent.last_name}".strip()
    return {"id": result.link.id, "agent_user_id": result.agent.id, "email": result.agent.email, "name": name,
            "created_at": result.link.created_at, "invited": result.invited}


@blp.route("/employer/agents/<int:agent_id>", methods=["DELETE"])
@api_access(Permission.EMPLOYER_AGENTS_MANAGE)
@blp.response(204)
@blp.alt_response(403, schema=ApiErrorSchema, description="Not a user of the employer itself (e.g. an agent)")
@blp.alt_response(404, schema=ApiErrorSchema, description="No such agent link for the caller's company")
@blp.doc(security=[{"bearerAuth": []}])
def remove_agent(agent_id: int):  # type: ignore[no-untyped-def]
    """The agent stops acting for the caller's company. What it declared stays, recorded under its name."""
    agents.remove_agent(db.session, current_user, agent_id, now=utcnow())
    commit()
    return None


@blp.route("/employer/employers", methods=["GET"])
@api_access(Permission.DISMISSAL_DECLARE)
@blp.response(200, EmployerPageSchema)
@blp.doc(security=[{"bearerAuth": []}])
def my_employers():  # type: ignore[no-untyped-def]
    """The employers the caller may declare for: give one as `employer_id` to `POST /dismissals` when there are
    several."""
    return {"items": [{"employer_id": e.id, "company_name": e.company_name, "enterprise_number": e.enterprise_number,
                       "own": e.id == current_user.employer_id}
                      for e in services.employers_for(db.session, current_user)], "next_cursor": None}
