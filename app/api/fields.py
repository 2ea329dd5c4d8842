"""Shared schema fields."""
from datetime import UTC
from functools import partial

from marshmallow import fields

#: Times are stored as naive UTC; the API always states the offset.
UtcDateTime = partial(fields.AwareDateTime, default_timezone=UTC)
