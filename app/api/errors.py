"""Every API error is JSON {"code", "message", "errors"} with the HTTP status it names."""
from flask import jsonify
from flask_smorest import Api
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from app.engine.errors import EngineError

_CODES = {400: "malformed_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
          422: "invalid_fields", 429: "too_many_requests", 500: "internal_error"}


#: Headers of an HTTPException that its JSON answer keeps.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def error_response(status: int, message: str, errors: dict | None = None, code: str | None = None,
                   **extra):
    body = {"code": code or _CODES.get(status, "error"), "message": message, "errors": errors or {},
            **extra}
    response = jsonify(body)
    response.status_code = status
    return response


def _flatten(errors: dict) -> dict:
    """webargs nests messages by location ({"json": {...}}) and marshmallow by nested field and
    list index ({"memberships": {"0": {"role": [...]}}}); callers get one level of dotted
    field paths ("memberships.0.role"), as ErrorSchema documents."""
    flat: dict[str, list[str]] = {}
    for location, messages in errors.items():
        if isinstance(messages, dict):
            _into(flat, "", messages)
        else:
            flat[location if location != "json" else "_body"] = messages
    return flat


def _into(flat: dict, prefix: str, messages) -> None:
    if isinstance(messages, dict):
        for key, value in messages.items():
            _into(flat, f"{prefix}{key}" if not prefix else f"{prefix}.{key}", value)
    else:
        flat.setdefault(prefix or "_body", []).extend(
            str(m) for m in (messages if isinstance(messages, list) else [messages]))


class ErrorSchema(Schema):
    code = fields.String(metadata={"description": "machine-readable, e.g. not_found, conflict"})
    message = fields.String(metadata={"description": "what went wrong, for people"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "field -> messages"})


class HuiyinApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        super()._register_error_handlers()
        self._app.register_error_handler(EngineError, self.handle_engine_error)

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = _flatten(data.get("messages") or data.get("errors") or {})
        message = data.get("message") or error.description or error.name
        if error.code == 422 and errors:
            message = "some fields are invalid: " + ", ".join(sorted(errors))
        if error.code == 400 and "_body" in errors:
            message = "; ".join(str(m) for m in errors["_body"])
        response = error_response(error.code or 500, message, errors)
        for name, value in error.get_headers():
            if name in _KEPT_HEADERS:  # e.g. the Allow of a 405 (RFC 9110), Retry-After of a 429
                response.headers[name] = value
        for name, value in (data.get("headers") or {}).items():
            response.headers[name] = value
        return response

    def handle_engine_error(self, error: EngineError):
        errors = getattr(error, "errors", None) or {}
        extra = {k: v for k, v in error.details.items() if v is not None}
        return error_response(error.status, error.message, errors, code=error.code, **extra)
