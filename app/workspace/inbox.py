"""The inbox (待办): the open tasks a user may work on, filtered, sorted and paged in SQL.

The candidate rule is the engine's (`tasks.candidate_clause`); everything here narrows it. The
light filter judges every row against one `Basis` (now, yellow share of the step's own limit),
the same rule as `lights.light`, written as SQL so paging stays correct.
"""
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, false, func, or_, select

from app.accounts.models import User
from app.cases import conditions
from app.cases.models import Case
from app.engine import meanings
from app.engine.models import HumanTask
from app.engine.tasks import candidate_clause, unclaimed_clause
from app.extensions import db
from app.organisation.models import Category, Territory, Unit
from app.search.words import matches, query_words
from app.timelimits.lights import Basis

#: Named queues: the steps each role works through. A user task joins one by its `queue` property
#: in the BPMN (app/engine/meanings.py), not by its element id.
QUEUES = meanings.VOCABULARY[meanings.QUEUE]
SCOPES = ("all", "mine", "unclaimed")
LIGHTS = ("blue", "yellow", "red")
SORTS = ("due", "newest", "oldest")
_NUMBER_PART = re.compile(r"^(hy)?[\d-]+$", re.IGNORECASE)

_tasks, _cases = HumanTask.__table__, Case.__table__
_territories, _categories, _units = Territory.__table__, Category.__table__, Unit.__table__


@dataclass(frozen=True)
class InboxFilter:
    scope: str = "all"
    queue: str | None = None
    request_type: str | None = None
    klass: str | None = None
    light: str | None = None
    territory_code: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    text: str | None = None
    sort: str = "due"


def _seconds_between(start, end):
    """end - start in seconds, as SQL on either database."""
    if db.session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def light_condition(colour: str, at: Basis):
    """SQL for `lights.light(created_at, due_at, at) == colour` on human_task rows."""
    due, start = _tasks.c.due_at, _tasks.c.created_at
    red = and_(due.is_not(None), due < at.now)
    little_left = _seconds_between(at.now, due) <= _seconds_between(start, due) * at.share
    yellow = and_(due.is_not(None), due >= at.now, little_left)
    if colour == "red":
        return red
    if colour == "yellow":
        return yellow
    return or_(due.is_(None), and_(~red, ~yellow))


def _columns():
    return (_tasks.c.id, _tasks.c.element_id, _tasks.c.name, _tasks.c.assignee_id, _tasks.c.form_key,
            _tasks.c.created_at, _tasks.c.due_at, _tasks.c.candidate_role, _tasks.c.case_id,
            _cases.c.number.label("case_number"), _cases.c.title, _cases.c.request_type, _cases.c.level,
            _territories.c.name.label("territory_name"), _categories.c.klass,
            _units.c.name.label("unit_name"), _cases.c.second_handled, _cases.c.restarted_at)


def _task_ids(user: User, wanted: InboxFilter, at: Basis):
    """SELECT of the matching task ids. It reads human_task alone unless a filter needs the case
    (type, class, territory, dates, text): sorting and paging ids first, and joining the case
    data for one page only, keeps deep pages and counts fast (bench/inbox.py)."""
    query = select(_tasks.c.id).where(_tasks.c.status == "open")
    if wanted.scope == "mine":
        query = query.where(_tasks.c.assignee_id == user.id)
    elif wanted.scope == "unclaimed":
        query = query.where(unclaimed_clause(user))
    else:
        query = query.where(candidate_clause(user))
    if wanted.queue:
        members = meanings.elements(meanings.QUEUE, wanted.queue)
        query = query.where(_tasks.c.element_id.in_(sorted(members)) if members else false())
    if wanted.light:
        query = query.where(light_condition(wanted.light, at))
    case_filters = _case_filters(wanted)
    if case_filters:
        query = query.select_from(_tasks.join(_cases, _cases.c.id == _tasks.c.case_id)).where(*case_filters)
    return query


def _case_filters(wanted: InboxFilter) -> list:
    found = []
    if wanted.request_type:
        found.append(conditions.request_type_is(wanted.request_type))
    if wanted.klass:
        found.append(conditions.class_is(wanted.klass))
    if wanted.territory_code:
        path = conditions.territory_path(wanted.territory_code)
        found.append(conditions.in_territory(path) if path else false())
    found += conditions.registered_between(wanted.created_from, wanted.created_to)
    if wanted.text:
        found.append(_text_condition(wanted.text))
    return found


def _text_condition(text: str):
    """The case's words (app/search/words.py, as the case list searches them), or a part of its
    number when the text may be one (digits and dashes, HY first or not). Text without a word
    finds nothing: the inbox ignores bad filters rather than refusing them."""
    by_words = matches(_cases.c.search_words, query_words(text))
    if _NUMBER_PART.match(text):
        return or_(_cases.c.number.icontains(text, autoescape=True), by_words)
    return by_words


def _order(query, sort: str):
    if sort == "newest":
        return query.order_by(_tasks.c.created_at.desc(), _tasks.c.id)
    if sort == "oldest":
        return query.order_by(_tasks.c.created_at, _tasks.c.id)
    return query.order_by(_tasks.c.due_at.is_(None), _tasks.c.due_at, _tasks.c.created_at, _tasks.c.id)


def inbox(user: User, wanted: InboxFilter, at: Basis, limit: int = 50, offset: int = 0) -> list:
    """One page of the user's inbox rows, with the case, territory, class and unit of each."""
    page = _order(_task_ids(user, wanted, at), wanted.sort).limit(limit).offset(offset)
    rows = (select(*_columns())
            .select_from(_tasks.join(_cases, _cases.c.id == _tasks.c.case_id)
                         .outerjoin(_territories, _territories.c.id == _cases.c.territory_id)
                         .outerjoin(_categories, _categories.c.id == _cases.c.category_id)
                         .outerjoin(_units, _units.c.id == _tasks.c.candidate_unit_id))
            .where(_tasks.c.id.in_(page)))
    return list(db.session.execute(_order(rows, wanted.sort)))


def count(user: User, wanted: InboxFilter, at: Basis) -> int:
    """How many tasks match (the same id query, counted)."""
    return db.session.scalar(select(func.count()).select_from(_task_ids(user, wanted, at).subquery()))
