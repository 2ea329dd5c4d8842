"""Text longer than its column is refused before the database sees it, on every backend alike.

PostgreSQL rejects a value longer than its varchar(n) (a DataError, which would surface as a 500);
SQLite silently stores it. Services check their fields first and name them in their own words;
this is the net under them: every INSERT and UPDATE is checked against the lengths of the columns
its values are bound to, and a value that does not fit raises `ValueTooLong` (422, naming the
column) before anything is written. The rest of the transaction rolls back as for any error.
"""
from sqlalchemy import String, event
from sqlalchemy.engine import Engine

from app.engine.errors import InvalidData


class ValueTooLong(InvalidData):
    def __init__(self, column: str, length: int):
        super().__init__(f"{column} is too long", {column: [f"at most {length} characters"]})


def _limited_binds(compiled) -> list[tuple[str, int]]:
    """(bind name, length) of the String(n) parameters of a compiled INSERT/UPDATE.
    Cached on the compiled statement, which SQLAlchemy itself caches per statement."""
    found = getattr(compiled, "_huiyin_limited_binds", None)
    if found is None:
        found = []
        for name, bind in compiled.binds.items():
            length = getattr(bind.type, "length", None) if isinstance(bind.type, String) else None
            if length:
                found.append((name, length))
        compiled._huiyin_limited_binds = found
    return found


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_values_too_long(_conn, _cursor, _statement, _parameters, context, _executemany) -> None:
    compiled = getattr(context, "compiled", None)
    if compiled is None or not (context.isinsert or context.isupdate):
        return
    limited = _limited_binds(compiled)
    if not limited:
        return
    for parameters in context.compiled_parameters:
        for name, length in limited:
            value = parameters.get(name)
            if isinstance(value, str) and len(value) > length:
                raise ValueTooLong(name, length)
