"""Request guards that apply before any view runs."""
from flask import Flask, request

from app.api.errors import error_response

_NUL_MARKERS = (b"\x00", b"\\u0000")


def refuse_nul_characters():
    """PostgreSQL text cannot hold NUL, and no real request needs it: refuse it up front (400)
    instead of letting it fail deep in a query."""
    raw_url = request.environ.get("RAW_URI") or request.full_path
    if "\x00" in request.path or "%00" in raw_url or "\x00" in request.query_string.decode("latin-1"):
        return error_response(400, "NUL characters are not allowed in the URL")
    if request.mimetype == "application/json" and any(m in request.get_data(cache=True)
                                                       for m in _NUL_MARKERS):
        return error_response(400, "NUL characters are not allowed in the request body")
    return None


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
