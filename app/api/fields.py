"""Shared schema fields."""
from datetime import UTC, datetime

from flask import request
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.clock import utcnow
from app.guards import MAX_ID
from app.timelimits import lights


class UtcDateTime(fields.AwareDateTime):
    """Times are stored as naive UTC; the API always states the offset, both ways."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


#: A database id or version number: a positive 32-bit integer (a larger one matches no row, and
#: PostgreSQL refuses to compare an integer column with it).
ID_RANGE = validate.Range(min=1, max=MAX_ID)

#: The deepest page any list offers: beyond it, narrow the filters (and no integer overflows).
MAX_OFFSET = 100_000


class PageArgs(Schema):
    """?limit=&offset= of a list endpoint."""

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


class AdminPageArgs(PageArgs):
    """Administration lists: longer pages (a whole unit's users, a county's territories)."""

    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


def request_light(start: datetime | None, due: datetime | None) -> str:
    """The warning light (R20) of something open since `start` and due at `due`, judged at one
    moment per request: `now` and the yellow share are read once and kept on the request. Without
    a deadline it is blue, and nothing is read (after a new case's commit, that read would cost
    a transaction of its own)."""
    if due is None:
        return lights.BLUE
    basis = getattr(request, "huiyin_light_basis", None)
    if basis is None:
        basis = request.huiyin_light_basis = lights.basis(utcnow())
    return lights.light(start, due, basis)


class ChangesSchema(Schema):
    """A PATCH body: the fields given change, the others stay. A body that names none would
    change nothing, which is a client's mistake, so it is refused (422) instead of answering 200."""

    @validates_schema
    def _names_a_change(self, data: dict, **_kwargs) -> None:
        if not data:
            names = ", ".join(field.data_key or name for name, field in self.load_fields.items())
            raise ValidationError(f"name at least one field to change: {names}", field_name="_body")
