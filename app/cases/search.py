"""Searching and filtering the case list (/cases, GET /api/v1/cases, the XLSX export): one set of
query parameters, checked once, turned into one SQL condition on case_record. The staff pages
post the search form and carry the phone in their addresses only encrypted (`in_links`).

Every condition is answered by an index or by the newest-first scan that pages stop early: the
number exactly (unique index) or as a part of it, the phone exactly (its index: phones are
stored readable for call-backs, never matched with LIKE), the text by the words of the title,
the description and the address (app/search/words.py, a GIN index on PostgreSQL: every word of
the query among the case's words; a part of a word, such as 灯 of 路灯, finds it too; a query
without a word is refused), the territory as a subtree of the materialised path, the light from
the case's most urgent open task (the same rule as `lights.light`, written as SQL by the inbox).
"""
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, exists, false, or_, select

from app.cases import conditions
from app.cases.models import Case
from app.cases.validation import phone_problem
from app.engine.errors import InvalidData
from app.engine.models import HumanTask
from app.extensions import db
from app.organisation.models import CLASSES, Unit
from app.privacy import crypto
from app.search.words import matches, query_words
from app.timelimits.lights import Basis
from app.timelimits.models import REQUEST_TYPES
from app.workspace.inbox import LIGHTS, light_condition

#: The statuses a case list may be filtered by (app/web/labels.STATUSES names them).
STATUSES = ("open", "closed")
#: The query parameters, as the web page and the API name them.
PARAMETERS = ("number", "phone", "q", "status", "type", "class", "light", "territory", "unit", "from", "to")
#: The phone as the pages' addresses carry it: encrypted (`in_links`).
PHONE_TOKEN = "pt"
MAX_TEXT = 100
_FULL_NUMBER = re.compile(r"^HY\d{8}-\d{6}$")

_cases, _tasks, _units = Case.__table__, HumanTask.__table__, Unit.__table__


@dataclass(frozen=True)
class CaseSearch:
    """What the case list is narrowed to; None: no condition."""

    number: str | None = None
    phone: str | None = None
    text: str | None = None
    status: str | None = None
    request_type: str | None = None
    klass: str | None = None
    light: str | None = None
    territory_path: str | None = None
    unit_id: int | None = None
    created_from: date | None = None
    created_to: date | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


def in_links(given: Mapping[str, str]) -> dict:
    """The parameters as the pages' addresses carry them (pager, export, bookmarks): the phone
    encrypted as `pt`, so that no address holds it in plain text (access logs, browser history)."""
    found = {name: value for name, value in given.items() if name in PARAMETERS and value}
    if found.get("phone"):
        found[PHONE_TOKEN] = crypto.encrypt(found.pop("phone").replace(" ", ""))
    return found


def from_links(args: Mapping[str, str]) -> dict:
    """The parameters from an address: `pt` read back into `phone` (an unreadable one stays as a
    `pt` entry, which `parse` refuses under "phone")."""
    found = {name: args[name] for name in PARAMETERS if args.get(name)}
    token = args.get(PHONE_TOKEN)
    if token and "phone" not in found:
        phone = crypto.decrypt(token)
        if phone is None:
            found[PHONE_TOKEN] = token
        else:
            found["phone"] = phone
    return found


def parse(args: Mapping[str, str]) -> CaseSearch:
    """The search from query parameters (PARAMETERS); every problem at once, by parameter
    (InvalidData, 422). Empty values mean "any"."""
    given = {name: str(args.get(name) or "").strip() or None for name in PARAMETERS}
    errors: dict[str, list[str]] = {}

    def bad(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name in ("number", "phone", "q", "territory", "unit"):
        if given[name] and len(given[name]) > MAX_TEXT:
            bad(name, _("At most %(max)d characters.", max=MAX_TEXT))
    if given["q"] and "q" not in errors and not query_words(given["q"]):
        bad("q", _("Enter a word or a number to search for."))
    phone = given["phone"].replace(" ", "") if given["phone"] else None
    if args.get(PHONE_TOKEN) and not phone:
        bad("phone", _("This search link no longer holds a readable phone number; enter the number again."))
    if phone and phone_problem(phone):
        bad("phone", _("Enter the whole phone number: 11 digits of a mobile, or a landline with its "
                       "area code."))
    for name, allowed in (("status", STATUSES), ("type", REQUEST_TYPES), ("class", CLASSES),
                          ("light", LIGHTS)):
        if given[name] and given[name] not in allowed:
            bad(name, _("Choose one of the listed values."))
    days = {}
    for name in ("from", "to"):
        try:
            days[name] = date.fromisoformat(given[name]) if given[name] else None
        except ValueError:
            bad(name, _("Enter a date as YYYY-MM-DD."))
            days[name] = None
        if days[name] and not 2000 <= days[name].year <= 2200:
            bad(name, _("Enter a date in the years 2000 to 2200."))
    if days.get("from") and days.get("to") and days["to"] < days["from"]:
        bad("to", _("The end date is before the start date."))
    path = unit_id = None
    if given["territory"] and "territory" not in errors:
        path = conditions.territory_path(given["territory"])
        if path is None:
            bad("territory", _("No territory has this code."))
    if given["unit"] and "unit" not in errors:
        unit_id = db.session.scalar(select(_units.c.id).where(_units.c.code == given["unit"]))
        if unit_id is None:
            bad("unit", _("No unit has this code."))
    if errors:
        raise InvalidData("the search is invalid: " + ", ".join(sorted(errors)), errors)
    number = given["number"].upper() if given["number"] else None
    return CaseSearch(number=number, phone=phone, text=given["q"], status=given["status"],
                      request_type=given["type"], klass=given["class"], light=given["light"],
                      territory_path=path, unit_id=unit_id, created_from=days["from"], created_to=days["to"])


def condition(search: CaseSearch, at: Basis):
    """SQL condition on case_record for `search` (None: every case)."""
    found = []
    if search.number:
        found.append(_cases.c.number == search.number if _FULL_NUMBER.match(search.number)
                     else _cases.c.number.contains(search.number, autoescape=True))
    if search.phone:
        found.append(_cases.c.requester_phone.in_(_phone_spellings(search.phone)))
    if search.text:
        found.append(matches(_cases.c.search_words, query_words(search.text)))
    if search.status:
        found.append(_cases.c.status == search.status)
    if search.request_type:
        found.append(conditions.request_type_is(search.request_type))
    if search.klass:
        found.append(conditions.class_is(search.klass))
    if search.territory_path:
        found.append(conditions.in_territory(search.territory_path))
    if search.unit_id:
        found.append(_cases.c.unit_id == search.unit_id)
    found += conditions.registered_between(search.created_from, search.created_to)
    if search.light:
        found.append(case_light(search.light, at))
    return and_(*found) if found else None


def _phone_spellings(phone: str) -> list[str]:
    """How the same number may be stored: a landline with or without the dash after its area code
    (three or four digits); a mobile as it is. An exact match on the indexed column."""
    digits = phone.replace("-", "")
    if not digits.startswith("0"):
        return [phone]
    return sorted({phone, digits, f"{digits[:3]}-{digits[3:]}", f"{digits[:4]}-{digits[4:]}"})


def case_light(colour: str, at: Basis):
    """SQL for "the open case's light is `colour`": the light of its most urgent open task (the
    one due first, as the case page shows it); an open case without a deadline is blue. Red and
    yellow cases are `one_of` their tasks' (read first); blue ones, the newest, `IN` them."""
    if colour not in LIGHTS:
        return false()
    open_tasks = select(_tasks.c.case_id).where(_tasks.c.status == "open", light_condition(colour, at))
    if colour == "red":  # the most urgent task is overdue exactly when any is: one index range
        return and_(_cases.c.status == "open", conditions.one_of(open_tasks))
    urgent = _tasks.alias("more_urgent")
    more_urgent = exists().where(
        urgent.c.case_id == _tasks.c.case_id, urgent.c.status == "open",
        or_(urgent.c.due_at < _tasks.c.due_at, and_(_tasks.c.due_at.is_(None), urgent.c.due_at.is_not(None))))
    if colour == "yellow":
        return and_(_cases.c.status == "open", conditions.one_of(open_tasks.where(~more_urgent)))
    coloured = _cases.c.id.in_(open_tasks.where(~more_urgent))
    if colour == "blue":
        timed = exists().where(_tasks.c.case_id == _cases.c.id, _tasks.c.status == "open",
                               _tasks.c.due_at.is_not(None))
        coloured = or_(coloured, ~timed)
    return and_(_cases.c.status == "open", coloured)

