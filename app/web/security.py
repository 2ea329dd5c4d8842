"""Staff sign-in for the web pages: a signed session cookie, CSRF protection, `login_required`.

Sessions
--------
Flask's signed cookie holds the user id, the login time and a fingerprint of the password hash;
nothing is stored on the server, so any gunicorn worker can serve any request. Every request
re-reads the user, so a deactivated account or a changed password ends its sessions at once, and
a session older than WEB_SESSION_HOURS (counted from the login, not the last click) ends too.

CSRF
----
The split is by URL space, the same one the error pages use: everything under /api authenticates
with bearer tokens only (never this cookie), so a forged cross-site request carries no
credentials there and CSRF does not apply; everything else is checked. So CSRFProtect runs with
WTF_CSRF_CHECK_DEFAULT off and `protect_web_forms` calls `csrf.protect()` before every non-/api
request. That covers blueprints added later without anyone remembering to exempt the API ones.
"""
import hashlib
import time
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect

from app.accounts.models import User
from app.api.security import PERMISSIONS
from app.extensions import db

csrf = CSRFProtect()

API_PREFIX = "/api"
#: Machine interfaces: authenticated by tokens or API keys, never by the session cookie, so CSRF
#: does not apply and errors are JSON.
MACHINE_PREFIXES = (API_PREFIX, "/open311")
_UNSET = object()


def is_api_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in MACHINE_PREFIXES)


def protect_web_forms() -> None:
    """before_request: CSRF check of state-changing requests outside /api (400 when it fails)."""
    if current_app.config.get("WTF_CSRF_ENABLED", True) and not is_api_path(request.path):
        csrf.protect()


def forget_request_state() -> None:
    """before_request: `g` belongs to the app context, which outlives a request when one was pushed
    beforehand (tests, scripts) and is then shared by every request in it. Drop what this module
    and Flask-WTF cache there per request: the signed-in user, the rendered CSRF token, the
    bell's unread count (app/web/notifications.py) and Flask-Babel's locale (app/i18n.py)."""
    for name in ("web_user", current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), "csrf_valid",
                 "unread_notifications", "_flask_babel"):
        g.pop(name, None)


# --- the session ---------------------------------------------------------------------------------

def _password_fingerprint(user: User) -> str:
    """Changes whenever the password does; reveals nothing usable about the hash (which is salted)."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


#: Survives login, logout and expiry: the language chosen on the login page (app/i18n.py).
KEPT_ON_CLEAR = ("lang",)


def _clear_session() -> None:
    kept = {key: session[key] for key in KEPT_ON_CLEAR if key in session}
    session.clear()
    session.update(kept)


def login_user(user: User) -> None:
    _clear_session()  # a fresh session (and CSRF token) on every login: no session fixation
    session["user_id"] = user.id
    session["login_at"] = int(time.time())
    session["pw"] = _password_fingerprint(user)
    g.web_user = user


def logout_user() -> None:
    _clear_session()
    g.web_user = None


def _user_from_session() -> User | None:
    user_id, login_at = session.get("user_id"), session.get("login_at")
    if user_id is None:
        return None
    max_age = current_app.config["WEB_SESSION_HOURS"] * 3600
    now = time.time()
    user = None
    if isinstance(login_at, int) and isinstance(user_id, int) and login_at - 60 <= now <= login_at + max_age:
        user = db.session.get(User, user_id)
    if user is None or not user.active or session.get("pw") != _password_fingerprint(user):
        _clear_session()
        return None
    return user


def current_user() -> User | None:
    """The signed-in staff member of this web request, or None (loaded once per request)."""
    user = g.get("web_user", _UNSET)
    if user is _UNSET:
        user = g.web_user = _user_from_session()
    return user


def may(permission: str, user: User | None = None) -> bool:
    """Whether the user's roles hold `permission` in the one PERMISSIONS table the API uses too."""
    user = user if user is not None else current_user()
    return user is not None and bool(user.roles & PERMISSIONS[permission])


# --- redirects -----------------------------------------------------------------------------------

def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: no open redirects via ?next=."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):  # browsers drop tabs/newlines: "/\t/x"
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def login_url() -> str:
    """The login page, coming back here afterwards (GET requests only: a POST cannot be replayed)."""
    if request.method in ("GET", "HEAD"):
        here = request.full_path if request.query_string else request.path
        return url_for("web_auth.login", next=here)
    return url_for("web_auth.login")


def login_required(permission: str | None = None):
    """View decorator: anonymous users go to /login?next=...; signed-in users whose roles lack
    `permission` (see app.api.security.PERMISSIONS) get the 403 page. Use as
    `@login_required()` or `@login_required("case:read")` (a bare `@login_required` works too)."""
    if callable(permission):
        return login_required()(permission)
    roles = PERMISSIONS[permission] if permission else None  # a misspelt permission fails at import

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if user is None:
                if request.headers.get("HX-Request"):
                    # htmx would swap the login page into a fragment: make the browser navigate
                    return "", 401, {"HX-Redirect": url_for("web_auth.login")}
                return redirect(login_url())
            if roles is not None and not user.roles & roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate
