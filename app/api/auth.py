"""POST /api/v1/auth/token: exchange a username and password for a bearer token."""
from flask import current_app
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from app.accounts.security import authenticate, issue_token
from app.api.blueprint import Blueprint
from app.api.fields import UtcDateTime

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
@blp.doc(security=[])
def create_token(login):
    user = authenticate(login["username"], login["password"])
    if user is None:
        abort(401, message="wrong username or password, or the account is locked for a while "
                           "after repeated failures")
    token, row = issue_token(user, current_app.config["API_TOKEN_HOURS"])
    return {"token": token, "expires_at": row.expires_at, "username": user.username,
            "roles": sorted(user.roles)}
