"""Error pages: HTML for the web pages, the API's own JSON answers under /api (unchanged).

The API (app/api/errors.py) registers two app-wide handlers, for HTTPException and for the
engine's EngineError (NotFound, Forbidden, Conflict, ...). `init_app` wraps each of them instead
of replacing it: under /api the API's handler answers exactly as before (JSON); every other path
gets an HTML page (or, for an htmx request, an alert fragment).
"""
from flask import Flask, make_response, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.engine.errors import EngineError
from app.guards import RefusedInput
from app.i18n import N_
from app.web.security import is_api_path

#: status -> (title, what to tell the user), translated when the page renders. Fixed texts: a 404
#: for a case outside one's jurisdiction must look exactly like the 404 for a number that does not exist.
MESSAGES = {
    400: (N_("Bad request"), N_("The request could not be processed. If it was a form, reload the page "
                                "and submit it again.")),
    401: (N_("Sign-in required"), N_("Please sign in first.")),
    403: (N_("Forbidden"), N_("Your roles do not allow this.")),
    404: (N_("Not found"), N_("This page or record does not exist, or it is outside your jurisdiction.")),
    405: (N_("Method not allowed"), N_("This address does not accept this kind of request.")),
    409: (N_("Conflict"), N_("Someone else has just changed this record; reload and try again.")),
    413: (N_("Too large"), N_("The upload is too large.")),
    422: (N_("Invalid data"), N_("The submitted data is invalid.")),
    500: (N_("Server error"), N_("Something went wrong on our side; please try again later.")),
}
#: Flask-WTF's reasons for refusing a form (CSRFError.description), translated on the page.
CSRF_REASONS = {
    "The CSRF token is missing.": N_("The form's security token is missing."),
    "The CSRF session token is missing.": N_("The session has no security token; reload the page."),
    "The CSRF token has expired.": N_("The form's security token has expired; reload the page."),
    "The CSRF token is invalid.": N_("The form's security token is invalid; reload the page."),
    "The CSRF tokens do not match.": N_("The form's security token does not match; reload the page."),
    "The referrer header is missing.": N_("The browser sent no Referer header."),
    "The referrer does not match the host.": N_("The Referer header does not match this site."),
}
#: Headers of an HTTPException worth keeping on the HTML page.
_KEPT_HEADERS = ("Allow", "Retry-After")


def render_error(status: int, detail: str | None = None):
    """The error page (full page, or the alert fragment for htmx) as a response."""
    title, message = MESSAGES.get(status) or MESSAGES[500 if status >= 500 else 400]
    context = {"status": status, "title": gettext(title), "message": gettext(message), "detail": detail}
    if request.headers.get("HX-Request"):
        # base.html configures htmx to swap error answers; these headers send them to the alert area
        response = make_response(render_template("errors/_alert.html", **context), status)
        response.headers["HX-Retarget"] = "#htmx-alert"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return make_response(render_template("errors/error.html", **context), status)


def init_app(app: Flask) -> None:
    handlers = app.error_handler_spec[None][None]
    api_http_handler, api_engine_handler = handlers.get(HTTPException), handlers.get(EngineError)

    def handle_http_exception(error: HTTPException):
        if is_api_path(request.path) and api_http_handler is not None:
            return api_http_handler(error)
        if error.code is None:  # not an error answer
            return error
        if isinstance(error, InternalServerError):
            app.logger.error("error on %s", request.path, exc_info=error.original_exception)
        # only the CSRF failure explains itself (token missing / expired); nothing internal leaks
        detail = error.description if isinstance(error, RefusedInput) else None
        if isinstance(error, CSRFError):
            reason = CSRF_REASONS.get(error.description)
            detail = gettext(reason) if reason is not None else error.description
        response = render_error(error.code, detail)
        for name, value in error.get_headers():
            if name in _KEPT_HEADERS:
                response.headers[name] = value
        return response

    def handle_engine_error(error: EngineError):
        if is_api_path(request.path) and api_engine_handler is not None:
            return api_engine_handler(error)
        return render_error(error.status)

    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(EngineError, handle_engine_error)
