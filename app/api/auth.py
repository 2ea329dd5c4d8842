"""POST /api/v1/auth/token: exchange a username and password for a bearer token;
DELETE /api/v1/auth/token: revoke the token presented."""
from flask import current_app, request
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from app.accounts import throttle
from app.accounts.security import issue_token, revoke_token
from app.api.blueprint import Blueprint
from app.api.fields import UtcDateTime
from app.api.security import bearer_token, refuse_without_token
from app.engine.transaction import transaction

blp = Blueprint("auth", __name__, description="Staff authentication")


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200), load_only=True)


class TokenSchema(Schema):
    token = fields.String()
    expires_at = UtcDateTime()
    username = fields.String()
    roles = fields.List(fields.String())


@blp.route("/token", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(201, TokenSchema)
@blp.alt_response(429, description="Too many failed sign-ins from this address (for this account); "
                                    "`Retry-After` gives the seconds to wait")
@blp.doc(security=[])
def create_token(login):
    """Failed sign-ins are throttled per address and account (docs/operations.md)."""
    try:
        user = throttle.authenticate(login["username"], login["password"], request.remote_addr)
    except throttle.Throttled as refused:
        abort(429, message=refused.message, headers={"Retry-After": str(refused.retry_after)})
    if user is None:
        abort(401, message="wrong username or password")
    token, row = issue_token(user, current_app.config["API_TOKEN_HOURS"])
    return {"token": token, "expires_at": row.expires_at, "username": user.username,
            "roles": sorted(user.roles)}


@blp.route("/token", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(401, description="No valid bearer token was presented")
def delete_token():
    """Revoke the bearer token of this request (sign out); other tokens of the user stay valid."""
    token = bearer_token()
    with transaction():
        revoked = revoke_token(token) if token else False
    if not revoked:
        refuse_without_token()
