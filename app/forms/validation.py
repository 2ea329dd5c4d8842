"""Check a task submission against its form, field by field, the way form-js would, but on the
server: the browser's checks can be skipped, these cannot. Every problem is reported at once."""
import math
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.engine.errors import InvalidData
from app.extensions import db
from app.forms.registry import Field, FormDefinition, Scalar, same_value
from app.organisation.models import Unit

MAX_LIST_ITEMS = 50
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"[0-9+\- ]{5,20}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d(Z|[+-]\d{2}:\d{2})?")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?")
_MISSING = object()

Errors = defaultdict[str, list[str]]


def validate(form: FormDefinition, data: dict, context: dict | None = None) -> dict:
    """The accepted data: only the form's visible fields, cleaned (strings stripped, whole
    numbers as int). Raises InvalidData with {field_key: [messages]} otherwise.

    `context` is what conditions may also see (process variables); submitted data wins."""
    if not isinstance(data, dict):
        raise InvalidData(f"invalid data for form {form.id}", {"_data": [_("must be a JSON object")]})
    errors: Errors = defaultdict(list)
    for key in data:
        if form.field(key) is None:
            errors[key].append(_("not a field of form %(form)s", form=form.id))
    scope = {**(context or {}), **data}
    accepted: dict[str, Any] = {}
    for field in form.fields:
        if field.disabled or (field.hide is not None and field.hide(scope)):
            continue
        value = data.get(field.key, _MISSING)
        if _is_empty(field, value):
            if field.required:
                errors[field.key].append(_("required"))
            elif value is not _MISSING:
                accepted[field.key] = [] if field.is_list else None
            continue
        clean, problems = _CHECKS[field.type](field, value)
        if field.required and clean is False and field.type == "checkbox":
            problems.append(_("required"))
        errors[field.key].extend(problems)
        if not problems:
            accepted[field.key] = clean
    _check_references(form, accepted, errors)
    if any(errors.values()):
        raise InvalidData(f"invalid data for form {form.id}", {k: v for k, v in errors.items() if v})
    return accepted


def _is_empty(field: Field, value: Any) -> bool:
    if value is _MISSING or value is None:
        return True
    if field.is_list:
        return value == []
    return isinstance(value, str) and not value.strip() and field.type != "checkbox"


def _text(field: Field, value: Any) -> tuple[Any, list[str]]:
    if not isinstance(value, str):
        return None, [_("must be text")]
    if "\x00" in value:
        return None, [_("must not contain NUL characters")]
    value = value.strip()
    problems = []
    if field.min_length is not None and len(value) < field.min_length:
        problems.append(_("at least %(num)d characters", num=field.min_length))
    if field.max_length is not None and len(value) > field.max_length:
        problems.append(_("at most %(num)d characters", num=field.max_length))
    if field.pattern is not None and not field.pattern.fullmatch(value):
        problems.append(_(field.pattern_message) if field.pattern_message
                        else _("must match the pattern %(pattern)s", pattern=field.pattern.pattern))
    if field.validation_type == "email" and not _EMAIL.fullmatch(value):
        problems.append(_("must be an email address"))
    if field.validation_type == "phone" and not _PHONE.fullmatch(value):
        problems.append(_("must be a phone number (digits, +, - and spaces, 5 to 20 characters)"))
    return value, problems


def _number(field: Field, value: Any) -> tuple[Any, list[str]]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, [_("must be a number")]
    if not math.isfinite(value):
        return None, [_("must be a finite number")]
    problems = []
    exact = Decimal(str(value))
    if field.decimal_digits == 0:
        if exact != exact.to_integral_value():
            problems.append(_("must be a whole number"))
        else:
            value = int(value)
    elif field.decimal_digits is not None and -exact.normalize().as_tuple().exponent > field.decimal_digits:
        problems.append(_("at most %(num)d decimal places", num=field.decimal_digits))
    if field.minimum is not None and value < field.minimum:
        problems.append(_("must be at least %(number)s", number=_show(field.minimum)))
    if field.maximum is not None and value > field.maximum:
        problems.append(_("must be at most %(number)s", number=_show(field.maximum)))
    if field.increment is not None and exact % field.increment != 0:
        problems.append(_("must be a multiple of %(number)s", number=field.increment))
    return value, problems


def _checkbox(field: Field, value: Any) -> tuple[Any, list[str]]:
    return (value, []) if isinstance(value, bool) else (None, [_("must be true or false")])


def _choice(field: Field, value: Any) -> tuple[Any, list[str]]:
    if not isinstance(value, Scalar):
        return None, [_("must be a single value")]
    if isinstance(value, str):
        value = value.strip()
    if field.options is not None and not any(same_value(value, option) for option in field.options):
        return None, [_("must be one of: %(options)s", options=_listing(field.options))]
    return value, []


def _choices(field: Field, value: Any) -> tuple[Any, list[str]]:
    if not isinstance(value, list):
        return None, [_("must be a list")]
    if len(value) > MAX_LIST_ITEMS:
        return None, [_("at most %(num)d items", num=MAX_LIST_ITEMS)]
    problems: list[str] = []
    clean: list[Scalar] = []
    for item in value:
        if not isinstance(item, Scalar):
            problems.append(_("every item must be a single value"))
        elif field.options is not None and not any(same_value(item, option) for option in field.options):
            problems.append(_("%(item)s is not one of: %(options)s", item=repr(item),
                              options=_listing(field.options)))
        elif any(same_value(item, seen) for seen in clean):
            problems.append(_("%(item)s is listed more than once", item=repr(item)))
        else:
            clean.append(item)
    return clean, problems


def _datetime(field: Field, value: Any) -> tuple[Any, list[str]]:
    if not isinstance(value, str):
        return None, [_("must be text")]
    value = value.strip()
    if field.subtype == "time":
        return value, [] if _TIME.fullmatch(value) else [_("must be a time (HH:MM)")]
    if field.subtype == "datetime":
        parse, shape = datetime.fromisoformat, _DATETIME
        expected = _("must be a date and time (ISO 8601)")
    else:
        parse, shape = date.fromisoformat, _DATE
        expected = _("must be a date (YYYY-MM-DD)")
    try:
        if not shape.fullmatch(value):
            raise ValueError(value)
        parse(value)
    except ValueError:
        return None, [expected]
    return value, []


_CHECKS: dict[str, Callable[[Field, Any], tuple[Any, list[str]]]] = {
    "textfield": _text, "textarea": _text, "number": _number, "checkbox": _checkbox,
    "select": _choice, "radio": _choice, "checklist": _choices, "taglist": _choices,
    "datetime": _datetime,
}


def _check_references(form: FormDefinition, accepted: dict[str, Any], errors: Errors) -> None:
    """Values of `references: unit` fields must be ids of existing units; one query for all."""
    wanted: dict[str, list[int]] = {}
    for field in form.fields:
        if field.references != "unit" or accepted.get(field.key) in (None, []):
            continue
        values = accepted[field.key] if field.is_list else [accepted[field.key]]
        if any(isinstance(v, bool) or not isinstance(v, int) for v in values):
            errors[field.key].append(_("must be a unit id (a whole number)"))
            del accepted[field.key]
        else:
            wanted[field.key] = values
    ids = {i for values in wanted.values() for i in values}
    if not ids:
        return
    found = set(db.session.scalars(select(Unit.id).where(Unit.id.in_(ids))))
    for key, values in wanted.items():
        errors[key].extend(_("no unit with id %(id)s", id=i) for i in values if i not in found)


def _listing(options: tuple[Scalar, ...]) -> str:
    return ", ".join(str(option) for option in options)


def _show(number: int | float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
