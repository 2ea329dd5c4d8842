"""Request guards for every path (API, Open311, public and staff pages), before any view runs.

What they refuse could never be a real request, but reaches code that fails on it — differently
on SQLite and PostgreSQL, which is worse: NUL characters (PostgreSQL text cannot hold them),
lone UTF-16 surrogates in JSON strings (not encodable as UTF-8), JSON nested deeper than any of
our schemas (Python's parser recurses), and numbers in URL paths beyond the integer columns they
select by. Each answer is a 400 (or a 404 for an id no row can have) naming what was wrong;
machine interfaces get JSON, pages the HTML error page.
"""
from flask import Flask, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

#: The largest id a path may name: PostgreSQL's `integer`, the type of every id column.
MAX_ID = 2**31 - 1
#: Deeper JSON than any request body of ours; Python's parser would recurse until it fails.
MAX_JSON_DEPTH = 32
_NUL_MARKERS = (b"\x00", b"\\u0000")


class RefusedInput(BadRequest):
    """400 whose description tells the client what to fix (shown on the HTML page too)."""


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a number no id column can hold is 'not found', not an overflow."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def install_converters(app: Flask) -> None:
    """Before any blueprint is registered: routes bind their converters when they are added."""
    app.url_map.converters["int"] = IdConverter


def _json_problem(value) -> str | None:
    """Walk the parsed body without recursion: too deep, or a string UTF-8 cannot encode."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep"
        if isinstance(item, dict):
            stack.extend((k, depth + 1) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "the JSON body contains a lone UTF-16 surrogate (\\ud800–\\udfff)"
    return None


def refuse_impossible_input() -> None:
    """before_request: raise RefusedInput for input no view should ever see."""
    raw_uri = request.environ.get("RAW_URI") or ""  # the path as sent, before any decoding
    if "\x00" in request.path or "%00" in raw_uri or any(
            "\x00" in name or "\x00" in value for name, value in request.args.items(multi=True)):
        raise RefusedInput("NUL characters are not allowed in the URL")
    if request.is_json:
        if any(marker in request.get_data(cache=True) for marker in _NUL_MARKERS):
            raise RefusedInput("NUL characters are not allowed in the request body")
        try:
            body = request.get_json(silent=True, cache=True)
        except RecursionError:
            raise RefusedInput(f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep") from None
        problem = _json_problem(body)
        if problem:
            raise RefusedInput(problem)
    elif request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            if "\x00" in (name or "") or "\x00" in (value or ""):  # a part may have no name
                raise RefusedInput(f"NUL characters are not allowed (form field {(name or '')[:40]!r})")


def init_app(app: Flask) -> None:
    app.before_request(refuse_impossible_input)
