"""Bearer-token authentication and the one table of which role may call which endpoint."""
from functools import wraps

from flask import g, request
from flask_smorest import abort

from app.accounts.models import ROLES
from app.accounts.security import user_for_token

#: permission -> roles that hold it. Every API view names one permission.
PERMISSIONS: dict[str, set[str]] = {
    "case:create": {"registrar", "administrator"},
    "case:read": {"registrar", "dispatcher", "handler", "unit_reviewer", "platform_supervisor",
                  "leader", "administrator", "auditor"},
    "task:work": {"registrar", "dispatcher", "handler", "unit_reviewer", "platform_supervisor",
                  "leader", "administrator"},
    # Moderation: take a case its requester had published off the public Open311 reads.
    "case:moderate": {"platform_supervisor"},
    # 重启办理 (R27): the platform's spot-check reopens a closed case.
    "case:restart": {"platform_supervisor"},
    # Photos, videos and documents on a case (R5); within one's jurisdiction.
    "case:attach": {"registrar", "dispatcher", "handler", "unit_reviewer", "platform_supervisor", "leader"},
    # 重复件: merge a duplicate into the open main case (the platform's intake: triage and dispatch).
    "case:merge": {"registrar", "dispatcher"},
    # 催办单, 督办单, 批示 on a case, and the supervision list (the service checks the kind).
    "case:direct": {"platform_supervisor", "leader", "dispatcher"},
    "workflow:read": {"process_designer", "administrator", "auditor"},
    "workflow:deploy": {"process_designer", "administrator"},
    "incident:manage": {"administrator", "process_designer"},
    # Territories, units, categories, routing catalogue, users, and their CSV/XLSX imports.
    "admin:manage": {"administrator"},
    # Reveal a case's unmasked phone / ID number (audited); handlers only for cases they hold.
    "personal_data:reveal": {"registrar", "platform_supervisor", "handler"},
    # Statistics (R33–R35): territory-wide roles see their territory, unit roles their own units.
    "statistics:read": {"registrar", "dispatcher", "handler", "unit_reviewer", "platform_supervisor",
                        "leader", "administrator", "auditor"},
    # 申诉: appeal a rating of one's own unit's answer (the service checks the unit).
    "rating:appeal": {"handler", "unit_reviewer", "leader"},
    # The bell: one's own in-app notifications (every staff role).
    "notification:read": {"registrar", "dispatcher", "handler", "unit_reviewer", "platform_supervisor",
                          "leader", "administrator", "process_designer", "auditor"},
}


#: What a role an administrator added (app/accounts/roles.py) may do: work the tasks offered to it,
#: read and attach to the cases its scope shows, read its notifications. More needs a built-in role.
ADDED_ROLE_PERMISSIONS = frozenset({"task:work", "case:read", "case:attach", "notification:read"})


def holds(roles: set[str], permission: str) -> bool:
    """Whether a user with these roles holds `permission`."""
    if roles & PERMISSIONS[permission]:
        return True
    return permission in ADDED_ROLE_PERMISSIONS and not roles <= set(ROLES)


def current_user():
    return g.user


def bearer_token() -> str | None:
    """The token of the request's `Authorization: Bearer <token>` header, if any."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def refuse_without_token():
    abort(401, message="a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})


def permission_required(permission: str, channels: bool = False):
    """Bearer token of a user whose roles hold `permission`; with `channels=True`, an `X-Api-Key`
    of an active channel (hotline system, WeChat, SMS gateway, ...) is accepted instead and put
    in `g.channel` (`g.user` is then None)."""
    PERMISSIONS[permission]  # a misspelt permission fails at import

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            g.channel = None
            if channels and request.headers.get("X-Api-Key"):
                from app.channels import keys

                g.channel = keys.find(request.headers["X-Api-Key"])
                if g.channel is None:
                    abort(401, message="the X-Api-Key is not valid")
                g.user = None
                return view(*args, **kwargs)
            token = bearer_token()
            user = user_for_token(token) if token else None
            if user is None:
                refuse_without_token()
            if not holds(user.roles, permission):
                abort(403, message=f"your roles do not allow '{permission}'")
            g.user = user
            return view(*args, **kwargs)

        return wrapper

    return decorate
