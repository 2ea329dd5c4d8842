"""Phases and roles, the data an administrator extends (under /api/v1/admin).

Reading needs "workflow:read" (designers pick phases and roles from these lists); adding or renaming
needs "admin:manage". A phase is added with its general time limit in the same request, so
`deadline('<code>')` has an answer from the start (more specific limits: PUT /time-limits). A role's
scope decides which cases its holders see: territory, unit or tasks (app/cases/access.py). Bad input
answers 422 with the fields at fault and writes nothing; every change is audited (GET /admin/audit).
"""
from flask import g
from marshmallow import Schema, fields

from app.accounts import roles
from app.api.blueprint import Blueprint
from app.api.security import permission_required
from app.engine.transaction import transaction
from app.timelimits import limits

blp = Blueprint("phases_roles", __name__, description="Phases and roles")


class PhaseSchema(Schema):
    code = fields.String(metadata={"example": "legal_review"})
    name_zh = fields.String(metadata={"example": "法制审核"})
    name_en = fields.String(metadata={"example": "Legal review"})
    builtin = fields.Boolean(dump_only=True)


class LimitSchema(Schema):
    amount = fields.Raw(required=True, metadata={"example": 3})
    unit = fields.String(required=True, metadata={"example": "working_days"})


class NewPhaseSchema(PhaseSchema):
    code = fields.String(required=True, metadata={"example": "legal_review"})
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    limit = fields.Nested(LimitSchema, load_default=None,
                          metadata={"description": "the phase's general time limit (any type, class, ...)"})


class PhaseNamesSchema(Schema):
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)


class RoleSchema(Schema):
    code = fields.String(metadata={"example": "legal_officer"})
    name_zh = fields.String(metadata={"example": "法制员"})
    name_en = fields.String(metadata={"example": "Legal officer"})
    scope = fields.String(metadata={"description": "territory, unit or tasks"})
    builtin = fields.Boolean(dump_only=True)


class NewRoleSchema(RoleSchema):
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    scope = fields.String(required=True)


class RoleChangeSchema(Schema):
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    scope = fields.String(required=True)


@blp.route("/phases")
@permission_required("workflow:read")
@blp.response(200, PhaseSchema(many=True))
def list_phases():
    """Every phase a BPMN timer may name in deadline('<code>'): built-in ones first."""
    return limits.all_phases()


@blp.route("/phases", methods=["POST"])
@permission_required("admin:manage")
@blp.arguments(NewPhaseSchema)
@blp.response(201, PhaseSchema)
def add_phase(payload):
    """Add a phase, with its general time limit when `limit` is given."""
    limit = payload.pop("limit", None)
    with transaction():
        return limits.phase_as_dict(limits.add_phase(payload, limit, g.user))


@blp.route("/phases/<string:code>", methods=["PUT"])
@permission_required("admin:manage")
@blp.arguments(PhaseNamesSchema)
@blp.response(200, PhaseSchema)
def rename_phase(payload, code):
    """Rename a phase; its code stays (BPMN files name it)."""
    with transaction():
        return limits.phase_as_dict(limits.update_phase(code, payload, g.user))


@blp.route("/roles")
@permission_required("workflow:read")
@blp.response(200, RoleSchema(many=True))
def list_roles():
    """Every role a membership may hold and a user task may name (candidateGroups)."""
    return roles.all_roles()


@blp.route("/roles", methods=["POST"])
@permission_required("admin:manage")
@blp.arguments(NewRoleSchema)
@blp.response(201, RoleSchema)
def add_role(payload):
    with transaction():
        return roles.as_dict(roles.add_role(payload, g.user))


@blp.route("/roles/<string:code>", methods=["PUT"])
@permission_required("admin:manage")
@blp.arguments(RoleChangeSchema)
@blp.response(200, RoleSchema)
def change_role(payload, code):
    """Rename a role, or change the scope of a role an administrator added."""
    with transaction():
        return roles.as_dict(roles.update_role(code, payload, g.user))
