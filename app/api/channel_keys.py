"""Channel API keys for administrators (R4): issue, list, revoke (app/channels/keys.py).

Every endpoint needs "admin:manage". A key (and its webhook's signing secret) is answered once,
by the POST that issues it, with `Cache-Control: no-store`; listings never show either. Revoking
keeps the row and stops the key at once.
"""
from flask import g
from marshmallow import Schema, fields, validate

from app.api.blueprint import Blueprint
from app.api.fields import UtcDateTime
from app.api.security import permission_required
from app.channels import keys
from app.engine.transaction import transaction

blp = Blueprint("channel_keys", __name__, description="Channel API keys")

_NO_STORE = {"Cache-Control": "no-store"}


class KeyArgs(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100000))


class ChannelKeySchema(Schema):
    id = fields.Integer()
    channel = fields.String()
    name = fields.String()
    territory_code = fields.Function(lambda row: row.territory.code if row.territory else None,
                                     allow_none=True)
    webhook_url = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = UtcDateTime()


class IssuedKeySchema(ChannelKeySchema):
    key = fields.String(metadata={"description": "the key itself: shown only this once"})
    webhook_secret = fields.String(allow_none=True, metadata={
        "description": "signs the webhooks (X-Huiyin-Signature): shown only this once"})


class IssueSchema(Schema):
    channel = fields.String(required=True, metadata={"example": "wechat"})
    name = fields.String(load_default="", metadata={"description": "who uses it"})
    territory_code = fields.String(load_default=None, allow_none=True, metadata={
        "description": "where its requests belong when they name no territory"})
    webhook_url = fields.String(load_default=None, allow_none=True, metadata={
        "description": "http(s) URL that receives status changes; internal addresses are refused"})


@blp.route("/channel-keys")
@permission_required("admin:manage")
@blp.arguments(KeyArgs, location="query")
@blp.response(200, ChannelKeySchema(many=True))
def list_channel_keys(args):
    """Every key, active first, newest first (never the key or the secret)."""
    return keys.list_keys(**args)


@blp.route("/channel-keys", methods=["POST"])
@permission_required("admin:manage")
@blp.arguments(IssueSchema)
@blp.response(201, IssuedKeySchema)
def issue_channel_key(payload):
    """Issue a key; the answer holds `key` (and `webhook_secret`), which are not shown again."""
    with transaction():
        row, key = keys.issue(**payload, actor=g.user)
    row.key = key
    return row, 201, _NO_STORE


@blp.route("/channel-keys/<int:key_id>/revoke", methods=["POST"])
@permission_required("admin:manage")
@blp.response(200, ChannelKeySchema)
def revoke_channel_key(key_id):
    """Deactivate a key: it stops working at once; the row stays (revoking twice changes nothing)."""
    with transaction():
        return keys.revoke(key_id, actor=g.user)
