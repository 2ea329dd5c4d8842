"""Case service: check and register a case and start its process in one transaction; who may see
a case.

Every channel (case API, hotline desk, citizen form, Open311) registers through `create_case`, which
checks the whole new case first (`problems`): one limit per field, the same for everyone. A channel
only adds its own extras and shows the problems under its own field names (`check`).

Cases are read as "case views": the case_record columns plus the codes and names of the unit,
territory and category, and the due time of the most urgent open task.
"""
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import bindparam, func, insert, select, union, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.cases import access, searchable
from app.cases.models import Case
from app.cases.numbers import next_case_number
from app.cases.validation import id_number_problem, phone_problem, position_problem, storable
from app.clock import utcnow
from app.engine import history, repository, runtime
from app.engine.errors import InvalidData, NotFound
from app.engine.models import HumanTask
from app.engine.transaction import execute, transaction
from app.extensions import db
from app.i18n import N_
from app.organisation.models import Category, Territory, Unit
from app.privacy import crypto
from app.statistics import facts
from app.timelimits.models import REQUEST_TYPES

log = logging.getLogger(__name__)

_cases, _units = Case.__table__, Unit.__table__
_territories, _categories = Territory.__table__, Category.__table__
_tasks = HumanTask.__table__
_open_tasks = (_tasks.c.case_id == _cases.c.id) & (_tasks.c.status == "open")
#: The most urgent open task decides the case's light: its due time and since when it is open.
_URGENT_DUE = select(func.min(_tasks.c.due_at)).where(_open_tasks).scalar_subquery()
_URGENT_SINCE = (select(_tasks.c.created_at).where(_open_tasks)
                 .order_by(_tasks.c.due_at.is_(None), _tasks.c.due_at).limit(1).scalar_subquery())
#: What a case shows: every column but the words it is searched by.
_SHOWN = [c for c in _cases.c if c.key != "search_words"]
_CASE_VIEW = (select(*_SHOWN, _units.c.code.label("unit_code"),
                     _territories.c.code.label("territory_code"), _categories.c.code.label("category_code"),
                     _units.c.name.label("unit_name"), _territories.c.name.label("territory_name"),
                     _categories.c.name.label("category_name"), _categories.c.klass.label("category_klass"),
                     _URGENT_DUE.label("due_at"), _URGENT_SINCE.label("open_since"))
              .select_from(_cases.outerjoin(_units, _units.c.id == _cases.c.unit_id)
                           .outerjoin(_territories, _territories.c.id == _cases.c.territory_id)
                           .outerjoin(_categories, _categories.c.id == _cases.c.category_id)))
_BY_NUMBER = _CASE_VIEW.where(_cases.c.number == bindparam("number"))
_BY_REF = _CASE_VIEW.where(_cases.c.channel == bindparam("channel"),
                           _cases.c.external_ref == bindparam("external_ref"))
_UNIT_BY_CODE = select(_units.c.id).where(_units.c.code == bindparam("code"))
_TERRITORY_BY_CODE = select(_territories.c.id).where(_territories.c.code == bindparam("code"))
_CATEGORY_BY_CODE = (select(_categories.c.id, _categories.c.klass)
                     .where(_categories.c.code == bindparam("code")))
_INSERT = insert(_cases).returning(_cases.c.id)
_CLOSE = (update(_cases).where(_cases.c.id == bindparam("case_id"), _cases.c.status != "closed")
          .values(status="closed", closed_at=bindparam("now")))

#: The longest value of each text field of a new case: its column's length; the description (a
#: Text column) has one limit for every channel.
LIMITS = {"description": 10_000, **{name: _cases.c[name].type.length for name in (
    "title", "address", "requester_name", "external_ref", "channel")},
    "unit_code": _units.c.code.type.length, "territory_code": _territories.c.code.type.length,
    "category_code": _categories.c.code.type.length}
_CODES = {"unit_code": _UNIT_BY_CODE, "territory_code": _TERRITORY_BY_CODE,
          "category_code": _CATEGORY_BY_CODE}


@dataclass
class NewCase:
    title: str
    description: str = ""
    address: str = ""  # where the problem is, as the requester says it
    unit_code: str | None = None
    channel: str = "api"
    external_ref: str | None = None
    territory_code: str | None = None
    category_code: str | None = None
    requester_name: str | None = None
    requester_phone: str | None = None
    id_number: str | None = None  # stored only encrypted
    request_type: str | None = None  # R6: consultation, help, complaint, report, suggestion
    public: bool = False  # the requester chose to publish it (app/cases/publication.py)
    #: where the requester's phone was (WGS 84 degrees), both or neither
    latitude: float | None = None
    longitude: float | None = None
    #: default: the process an administrator chose for its request type and class, else the
    #: CASE_PROCESS_ID setting
    process_id: str | None = None
    data: dict | None = None  # extra start variables (kept small: ids and decisions)
    #: Called with the new case id inside the registering transaction (e.g. to store its photos),
    #: so the case and what belongs to it are written together or not at all.
    on_created: Callable[[int], None] | None = None


def problems(new: NewCase, actor: User | None = None,
             found_codes: dict | None = None) -> dict[str, list[str]]:
    """Every problem of a new case, by field (empty: none). `actor` is who registers it (None:
    the requester, through a public form or a channel). The rows found for the unit, territory
    and category codes go into `found_codes`, so registering need not look them up again."""
    found: dict[str, list[str]] = {}

    def bad(field: str, message: str) -> None:
        found.setdefault(field, []).append(message)

    texts = {name: getattr(new, name) for name in ("title", "description", "address", "requester_name",
                                                    "requester_phone", "id_number", "request_type",
                                                    "external_ref", "channel", *_CODES)}
    for name, value in texts.items():
        if value and not storable(value):
            bad(name, "contains characters that cannot be stored (NUL or an unpaired surrogate)")
    for name in ("title", "channel", "external_ref"):  # external_ref alone may be left out
        value = texts[name]
        if (value is not None or name != "external_ref") and (
                not (value or "").strip() or len(value) > LIMITS[name]):
            bad(name, f"1 to {LIMITS[name]} characters")
    for name in ("description", "address", "requester_name"):
        if texts[name] and len(texts[name]) > LIMITS[name]:
            bad(name, f"at most {LIMITS[name]} characters")
    if new.requester_phone is not None and phone_problem(new.requester_phone):
        bad("requester_phone", phone_problem(new.requester_phone))
    if new.id_number is not None and id_number_problem(new.id_number):
        bad("id_number", id_number_problem(new.id_number))
    if position_problem(new.latitude, new.longitude):
        bad("position", position_problem(new.latitude, new.longitude))
    if new.request_type is not None and new.request_type not in REQUEST_TYPES:
        bad("request_type", f"one of: {', '.join(REQUEST_TYPES)}")
    for name, statement in _CODES.items():
        code = texts[name]
        if code and name not in found:
            if len(code) > LIMITS[name]:
                bad(name, f"at most {LIMITS[name]} characters")
            else:
                row = execute(statement, {"code": code}).first()
                if row is None:
                    bad(name, f"nothing has the code {code}")
                elif found_codes is not None:
                    found_codes[name] = row
    if new.public and actor is not None:
        bad("public", N_("only the requester chooses to publish a request; what staff register is never "
                         "public"))
    if new.public and new.request_type == "report":
        bad("public", N_("a report is never published, to protect the person reporting"))
    return found


def check(new: NewCase, actor: User | None = None, extra: Mapping[str, list[str]] | None = None,
          names: Mapping[str, str] | None = None, found_codes: dict | None = None) -> None:
    """Raise InvalidData with every problem of `new`, shown under the channel's field `names`
    (service name -> the channel's), together with the channel's own `extra` problems; a
    channel's message for a field replaces the service's (e.g. "required")."""
    found = {field: list(messages) for field, messages in (extra or {}).items() if messages}
    for field, messages in problems(new, actor, found_codes).items():
        shown = (names or {}).get(field, field)
        if shown not in (extra or {}):
            found.setdefault(shown, []).extend(m for m in messages if m not in found.get(shown, ()))
    if found:
        raise InvalidData("the case was not registered: " + ", ".join(sorted(found)), found)


def create_case(new: NewCase, actor: User | None):
    """Check and register a case and start the case process. Returns (case view, created); a
    repeated (channel, external_ref) returns the existing case instead of a second one, also when
    two deliveries of it race."""
    codes = {}
    check(new, actor, found_codes=codes)
    try:
        return _create(new, actor, codes)
    except IntegrityError:
        if not new.external_ref:
            raise
        existing = execute(_BY_REF, {"channel": new.channel, "external_ref": new.external_ref}).first()
        db.session.rollback()
        if existing is None:
            raise
        return existing, False


def _create(new: NewCase, actor: User | None, codes: dict):
    with transaction():
        if new.external_ref:
            existing = execute(_BY_REF, {"channel": new.channel, "external_ref": new.external_ref}).first()
            if existing is not None:
                return existing, False
        unit_id = _lookup("unit_code", new.unit_code, codes)
        territory_id = _lookup("territory_code", new.territory_code, codes)
        category = _lookup("category_code", new.category_code, codes, row=True)
        category_id, klass = (category.id, category.klass) if category else (None, None)
        id_number = new.id_number.strip().upper() if new.id_number else None
        process_id = (new.process_id or repository.chosen_process_id(new.request_type, klass)
                      or current_app.config["CASE_PROCESS_ID"])
        definition_id = repository.release_definition_id(process_id)
        if definition_id is None:
            raise NotFound(f"process '{process_id}' is not deployed")
        actor_id = actor.id if actor else None
        values = {"number": next_case_number(), "title": new.title, "description": new.description,
                  "address": new.address or None, "public": new.public, "status": "open",
                  "latitude": new.latitude, "longitude": new.longitude,
                  "unit_id": unit_id, "territory_id": territory_id,
                  "category_id": category_id, "channel": new.channel,
                  "external_ref": new.external_ref, "created_by_id": actor_id,
                  "requester_name": new.requester_name, "requester_phone": new.requester_phone,
                  "request_type": new.request_type,
                  "id_number_cipher": crypto.encrypt(id_number) if id_number else None,
                  "id_number_hash": crypto.search_hash(id_number) if id_number else None,
                  "created_at": utcnow(), "closed_at": None}
        case_id = execute(_INSERT, values).scalar_one()
        history.record(case_id, "case_created", actor_id=actor_id,
                       payload={"channel": new.channel, "number": values["number"]})
        start_data = {**(new.data or {}), **start_variables(case_id, unit_id, territory_id, category_id,
                                                            klass, new.request_type)}
        started = runtime.start(definition_id, case_id, start_data, actor_id)
        if new.on_created is not None:
            new.on_created(case_id)
    log.info("case %s registered via %s by user %s", values["number"], new.channel, actor_id)
    # The view of the new case from what was just written (no re-read): its light starts now.
    return SimpleNamespace(id=case_id, unit_code=new.unit_code, territory_code=new.territory_code,
                           category_code=new.category_code, due_at=started.earliest_due(),
                           open_since=values["created_at"], **values), True


#: The texts of a case that may be corrected after registration: what the text search reads.
CORRECTABLE = ("title", "description", "address")


def correct(case_id: int, actor: User | None, **changes: str) -> None:
    """Correct a case's title, description or address (a misheard word, a fuller address): the
    texts and the words the search finds the case by are written together, and the timeline
    records which fields changed. Checked as a new case's texts are (InvalidData, by field)."""
    if not changes or set(changes) - set(CORRECTABLE):
        raise ValueError(f"correct one or more of {', '.join(CORRECTABLE)}, not {', '.join(sorted(changes))}")
    with transaction():
        row = execute(select(*(_cases.c[name] for name in CORRECTABLE)).where(_cases.c.id == case_id)
                      .with_for_update()).first()
        if row is None:
            raise NotFound(f"no case with id {case_id}")
        texts = {**row._asdict(), **changes}
        found = {name: messages for name, messages in problems(NewCase(**texts), actor).items()
                 if name in changes}
        if found:
            raise InvalidData("the case was not corrected: " + ", ".join(sorted(found)), found)
        stored = {**changes, **({"address": changes["address"] or None} if "address" in changes else {})}
        execute(update(_cases).where(_cases.c.id == case_id)
                .values(**stored, search_words=searchable.case_words(**texts)))
        history.record(case_id, "case_corrected", actor_id=actor.id if actor else None,
                       payload={"fields": sorted(changes)})


def start_variables(case_id: int, unit_id: int | None, territory_id: int | None,
                    category_id: int | None, klass: str | None, request_type: str | None,
                    level: str | None = None, restart: bool = False) -> dict:
    """What a case process starts with: ids and the facts its gateways and time limits read
    (docs/process.md lists them). `restart` marks a spot-check restart (R27)."""
    return {"case_id": case_id, "unit_id": unit_id, "territory_id": territory_id, "category_id": category_id,
            "klass": klass, "request_type": request_type, "level": level, "restart": restart}


def _lookup(field: str, code: str | None, known: dict, row: bool = False):
    if not code:
        return None
    found = known.get(field) or execute(_CODES[field], {"code": code}).first()
    if found is None:
        raise InvalidData(f"unknown {field}", {field: [f"nothing has the code {code}"]})
    return found if row else found[0]


@runtime.process_completed.connect
def _close_case(instance: runtime.InstanceRow, actor_id: int | None = None, closes_case: bool = True) -> None:
    """The case's own process ended: the case closes. A process whose BPMN says it does not close
    the case (closesCase false, e.g. an appeal of a rating) ends without touching it."""
    if not closes_case:
        return
    closed = execute(_CLOSE, {"case_id": instance.case_id, "now": utcnow()}).rowcount
    if closed:
        facts.closed(instance.case_id)
        history.record(instance.case_id, "case_closed", instance_id=instance.id, actor_id=actor_id)
        from app.channels import webhooks  # the channels package reads cases: imported when needed

        webhooks.enqueue_for_case(instance.case_id, "case_closed")


def get_visible(user: User, number: str):
    """A case within the user's jurisdiction; others answer 'not found' (no probing of numbers)."""
    case = execute(_BY_NUMBER.where(access.visible_cases(user)), {"number": number}).first()
    if case is None:
        raise NotFound(f"no case {number}")
    return case


def list_visible(user: User, limit: int = 50, offset: int = 0, where=None) -> list:
    """Newest first, only within the user's jurisdiction (and `where`, a condition on case_record).

    Unfiltered, the page of a unit role is merged from the newest `offset + limit` cases of each
    branch of their jurisdiction (the page's cases are among them): one index each, where the plain
    condition walks every case of the city newest-first and tests it (a county unit's page at
    offset 1000 took 240 ms at 3,000,000 cases, bench/README.md "Scale"). Filtered, the plain walk
    stays: a filter that most of a unit's cases pass (its own territory, the last 30 days) sent the
    planner, misjudging their overlap, through every case of the unit in each branch. The page's
    ids are chosen first and only they joined to their unit, territory and category: planned
    together, a misjudged row count let the joins read every red case before the first page
    (0.7 s)."""
    extra = [where] if where is not None else []
    branches = access.unit_branches(user) if where is None else None
    if branches is None:
        page = select(_cases.c.id).where(access.visible_cases(user), *extra)
    else:
        newest = union(*(select(select(_cases.c.id).where(branch).order_by(_cases.c.id.desc())
                                .limit(limit + offset).subquery().c.id) for branch in branches)).subquery()
        page = select(newest.c.id)
    page = page.order_by(page.selected_columns[0].desc()).limit(limit).offset(offset)
    return list(execute(_CASE_VIEW.where(_cases.c.id.in_(page.scalar_subquery()))
                        .order_by(_cases.c.id.desc())))


def count_visible(user: User, where=None) -> int:
    return execute(select(func.count()).select_from(_cases).where(
        access.visible_cases(user), *([where] if where is not None else []))).scalar_one()


def status_for_channel(channel: str, number: str):
    """A case delivered by `channel`; any other answers 'not found'."""
    case = execute(_BY_NUMBER.where(_cases.c.channel == channel), {"number": number}).first()
    if case is None:
        raise NotFound(f"no case {number}")
    return case
