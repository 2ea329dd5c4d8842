"""Staff sign-in for the web pages: a signed session cookie, CSRF protection, `login_required`.

Sessions
--------
Sessions live on the server, in the `user_session` table (app/accounts/sessions.py). Flask's
signed cookie carries the session's random id (besides the CSRF token, the chosen language and
flashed messages, none of which identify anyone); the table keeps only the id's SHA-256. Each
request finds the session, its user and the user's roles in one indexed query, so any gunicorn
worker can serve any request and nothing is kept in process memory. Signing in always starts a new
session with a new id (no session fixation) and ends the one the browser had. A session ends

* when its user signs out: the row is revoked, so a copy of the cookie stops working too;
* WEB_SESSION_HOURS after the sign-in, however busy the user is;
* when the user is deactivated, their password is changed or reset, or "sign out everywhere" is
  used (by them on /account or by an administrator): `sessions.revoke_all` ends every session
  and deletes every API token of the user. Changing one's own password keeps the browser that did
  it signed in, with a new session id, so a copy of its old cookie is signed out with the rest.

The language chosen on the login page survives signing in and out (KEPT_ON_CLEAR). The cookie is
Secure when SESSION_COOKIE_SECURE says so, by default whenever PUBLIC_BASE_URL is https.

CSRF
----
The split is by URL space, the same one the error pages use: everything under /api authenticates
with bearer tokens only (never this cookie), so a forged cross-site request carries no
credentials there and CSRF does not apply; everything else is checked. So CSRFProtect runs with
WTF_CSRF_CHECK_DEFAULT off and `protect_web_forms` calls `csrf.protect()` before every non-/api
request. That covers blueprints added later without anyone remembering to exempt the API ones.
"""
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect, generate_csrf

from app.accounts import sessions
from app.accounts.models import User, UserSession
from app.api.security import PERMISSIONS, holds
from app.engine.transaction import transaction

csrf = CSRFProtect()

API_PREFIX = "/api"
#: Machine interfaces: authenticated by tokens or API keys, never by the session cookie, so CSRF
#: does not apply and errors are JSON.
MACHINE_PREFIXES = (API_PREFIX, "/open311")
_UNSET = object()


def is_api_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in MACHINE_PREFIXES)


def csrf_token() -> str:
    """The page's CSRF token (Flask-WTF's generate_csrf, which keeps it in `g` for the request but
    reads its settings again on every call: forms in every row of a table call this)."""
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    return token if token is not None else generate_csrf()


def protect_web_forms() -> None:
    """before_request: CSRF check of state-changing requests outside /api (400 when it fails)."""
    if current_app.config.get("WTF_CSRF_ENABLED", True) and not is_api_path(request.path):
        csrf.protect()


def forget_request_state() -> None:
    """before_request: `g` belongs to the app context, which outlives a request when one was pushed
    beforehand (tests, scripts) and is then shared by every request in it. Drop what this module
    and Flask-WTF cache there per request: the session and its user, the rendered CSRF token, the
    bell's unread count (app/web/notifications.py) and Flask-Babel's locale (app/i18n.py)."""
    for name in ("web_session", current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), "csrf_valid",
                 "unread_notifications", "_flask_babel"):
        g.pop(name, None)


# --- the session ---------------------------------------------------------------------------------

#: The cookie key of the session id.
SESSION_ID = "sid"
#: Survives login, logout and expiry: the language chosen on the login page (app/i18n.py).
KEPT_ON_CLEAR = ("lang",)


def _clear_session() -> None:
    kept = {key: session[key] for key in KEPT_ON_CLEAR if key in session}
    session.clear()
    session.update(kept)


def _session_id() -> str | None:
    value = session.get(SESSION_ID)
    return value if isinstance(value, str) else None


def login_user(user: User) -> None:
    """Start a new session (new id, fresh CSRF token: no session fixation), ending the one this
    browser had."""
    previous = _session_id()
    _clear_session()
    with transaction():
        if previous:
            sessions.end(previous)
        session_id, row = sessions.start(user, current_app.config["WEB_SESSION_HOURS"],
                                         request.user_agent.string, request.remote_addr)
    session[SESSION_ID] = session_id
    g.web_session = row


def logout_user() -> None:
    session_id = _session_id()
    if session_id:
        with transaction():
            sessions.end(session_id)
    _clear_session()
    g.web_session = None


def current_session() -> UserSession | None:
    """This request's live session (loaded once per request), or None."""
    found = g.get("web_session", _UNSET)
    if found is _UNSET:
        session_id = _session_id()
        found = sessions.find(session_id) if session_id else None
        if found is None and SESSION_ID in session:
            _clear_session()  # ended, expired or forged: the browser forgets it
        g.web_session = found
    return found


def is_current_session(row: UserSession) -> bool:
    return sessions.is_current(row, _session_id())


def current_user() -> User | None:
    """The signed-in staff member of this web request, or None."""
    found = current_session()
    return found.user if found is not None else None


def may(permission: str, user: User | None = None) -> bool:
    """Whether the user's roles hold `permission` in the one PERMISSIONS table the API uses too."""
    user = user if user is not None else current_user()
    return user is not None and holds(user.roles, permission)


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
    if permission:
        PERMISSIONS[permission]  # a misspelt permission fails at import

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if user is None:
                if request.headers.get("HX-Request"):
                    # htmx would swap the login page into a fragment: make the browser navigate
                    return "", 401, {"HX-Redirect": url_for("web_auth.login")}
                return redirect(login_url())
            if permission and not holds(user.roles, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate
