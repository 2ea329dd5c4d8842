"""The audit of administrators' changes (app/audit), for administrators: GET /api/v1/admin/audit.

Filters: `entity`, `user` (username), `from` and `to` (local dates in TIMEZONE, inclusive);
newest first, paged with `limit` and `offset`. Each entry: who (`user_id`, `username`; null: the
system), when, what (`entity`, `entity_key`), `action` (create, update, delete) and the `old` and
`new` values.
"""
from zoneinfo import ZoneInfo

from flask import current_app
from marshmallow import Schema, fields, validate

from app.api.blueprint import Blueprint
from app.api.fields import UtcDateTime
from app.api.security import permission_required
from app.audit import service as audit

blp = Blueprint("audit", __name__, description="Audit of administrators' changes")


class AuditArgs(Schema):
    entity = fields.String(load_default=None, metadata={"description": "one of " + ", ".join(audit.ENTITIES)})
    user = fields.String(load_default=None, validate=validate.Length(max=80),
                         metadata={"description": "username of who made the changes"})
    first = fields.Date(load_default=None, data_key="from", metadata={"description": "local date, inclusive"})
    last = fields.Date(load_default=None, data_key="to", metadata={"description": "local date, inclusive"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1000000))


class AdminChangeSchema(Schema):
    id = fields.Integer()
    at = UtcDateTime()
    user_id = fields.Integer(allow_none=True)
    username = fields.Function(lambda change: change.user.username if change.user else None, allow_none=True)
    entity = fields.String()
    entity_key = fields.String()
    action = fields.String(metadata={"description": "create, update or delete"})
    old = fields.Dict(allow_none=True)
    new = fields.Dict(allow_none=True)


@blp.route("/audit")
@permission_required("admin:manage")
@blp.arguments(AuditArgs, location="query")
@blp.response(200, AdminChangeSchema(many=True))
def list_changes(args):
    """Administrators' changes, newest first."""
    return audit.changes(entity=args["entity"], username=args["user"], first=args["first"], last=args["last"],
                         zone=ZoneInfo(current_app.config["TIMEZONE"]), limit=args["limit"],
                         offset=args["offset"])
