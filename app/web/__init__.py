"""Server-rendered staff pages (Jinja + htmx): login, home, cases, administration.

Everything outside /api: session-cookie sign-in and CSRF (app/web/security.py), HTML error pages
(app/web/errors.py), security headers. Permissions come from the API's one PERMISSIONS table.
"""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask, request

from app import i18n
from app.web import errors, labels
from app.web.security import (
    csrf,
    csrf_token,
    current_user,
    forget_request_state,
    is_api_path,
    may,
    protect_web_forms,
)

#: For the HTML pages only (not /api, whose ReDoc page needs inline scripts). No inline scripts
#: or styles anywhere in the templates; htmx is told not to inject its indicator styles.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
                           "form-action 'self'; frame-ancestors 'none'")


def init_app(app: Flask) -> None:
    """Register the web blueprints, CSRF protection, error pages and template helpers."""
    from app.web import (
        account,
        admin,
        analysis,
        assessment,
        auth,
        cases,
        designer,
        desk,
        home,
        merging,
        notifications,
        processes,
        public,
        repair,
        statistics,
        workspace,
    )

    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # CSRF is checked by protect_web_forms for every path outside /api (see app/web/security.py)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    # A form may stay open all day; the token still dies with the session (logout, expiry).
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.before_request(forget_request_state)
    app.before_request(protect_web_forms)
    i18n.init_app(app)  # Flask-Babel (zh_CN default, English) and POST /language

    for module in (auth, account, home, cases, admin, notifications, workspace, public, desk, statistics,
                   analysis, assessment, processes, repair, designer, merging):
        app.register_blueprint(module.bp)
    errors.init_app(app)
    labels.init_app(app)

    timezone = ZoneInfo(app.config["TIMEZONE"])

    @app.template_filter("localtime")
    def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """Stored times are naive UTC; show them in TIMEZONE."""
        if value is None:
            return ""
        return value.replace(tzinfo=UTC).astimezone(timezone).strftime(fmt)

    @app.context_processor
    def web_context():
        if is_api_path(request.path):
            return {}
        return {"current_user": current_user(), "may": may,
                "unread_notifications": notifications.unread_count}

    @app.after_request
    def security_headers(response):
        if not is_api_path(request.path) and response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            # same-origin still sends the Referer that Flask-WTF checks on HTTPS (WTF_CSRF_SSL_STRICT)
            response.headers.setdefault("Referrer-Policy", "same-origin")
            # pages show personal data and depend on who is signed in: never cache them
            response.headers.setdefault("Cache-Control", "no-store")
        return response
