"""Open311 GeoReport v2 endpoints (JSON only; XML is not offered, discovery.json says so).

Errors are a JSON list of {code, description}, as the specification shows: one per problem.
Listing requests is limited to 90 days and 1,000 requests, newest first.

Reading: without a key, only the cases their requester chose to publish
(app/cases/publication.py); with a channel's `api_key`, also the cases that channel delivered,
status only. The description of a public case goes through the one masking function.
"""
import uuid
from datetime import datetime, timedelta

from flask import Blueprint, jsonify, request, url_for
from sqlalchemy import func, or_, select

from app.cases import publication
from app.cases.models import Case
from app.cases.service import NewCase, check, create_case
from app.channels import keys
from app.clock import to_naive_utc, utcnow
from app.engine.errors import EngineError
from app.engine.models import CaseEvent, HumanTask
from app.extensions import db
from app.open311.mapping import service_request
from app.organisation.models import Category, Territory, Unit

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

MAX_LIST = 1000
MAX_DAYS = 90
_UPDATED = (select(func.max(CaseEvent.at)).where(CaseEvent.case_id == Case.id)
            .correlate(Case).scalar_subquery())
_DUE = (select(func.min(HumanTask.due_at)).where(HumanTask.case_id == Case.id, HumanTask.status == "open")
        .correlate(Case).scalar_subquery())
_COLUMNS = (Case.id, Case.number, Case.status, Case.outcome, Case.description, Case.requester_name,
            Case.created_at, Category.code.label("category_code"), Category.name.label("category_name"),
            Unit.name.label("unit_name"), _UPDATED.label("updated_at"), _DUE.label("due_at"))
#: The case service's field names -> Open311's (the title is the description's first line).
FIELD_NAMES = {"title": "description", "address": "address_string", "requester_phone": "phone",
               "requester_name": "first_name", "territory_code": "attribute[territory]",
               "category_code": "service_code", "public": "attribute[public]"}
_YES_NO = {"true": True, "1": True, "false": False, "0": False, "": False}


def _error(status: int, description: str, problems: dict[str, list[str]] | None = None):
    found = [f"{field}: {message}" for field, messages in (problems or {}).items() for message in messages]
    return jsonify([{"code": status, "description": text} for text in found or [description]]), status


@bp.errorhandler(EngineError)
def _engine_error(error: EngineError):
    """Refused input is 400 in GeoReport (not 422), one error per problem."""
    status = error.status if error.status in (403, 404, 409) else 400
    return _error(status, str(error), getattr(error, "errors", None))


@bp.get("/discovery.json")
def discovery():
    return jsonify({
        "changeset": "2026-11-22T00:00:00Z", "contact": "12345 platform",
        "key_service": "API keys are issued per channel by the platform's administrators",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                       "url": url_for(".discovery", _external=True).rsplit("/", 1)[0],
                       "changeset": "2026-11-22T00:00:00Z", "type": "production",
                       "formats": ["application/json"]}]})


def _service(category: Category) -> dict:
    return {"service_code": category.code, "service_name": category.name, "description": category.name,
            "metadata": False, "type": "realtime", "keywords": category.klass, "group": category.klass}


@bp.get("/services.json")
def services():
    return jsonify([_service(c) for c in db.session.scalars(select(Category).order_by(Category.code))])


@bp.get("/services/<string:code>.json")
def service_definition(code: str):
    if db.session.scalar(select(Category.id).where(Category.code == code)) is None:
        return _error(404, f"no service {code}")
    return jsonify({"service_code": code, "attributes": []})


def _value(name: str) -> str:
    """A posted field as text (form-encoded as the spec says, or a JSON object); anything else: ""."""
    source = request.form or request.get_json(silent=True)
    value = source.get(name) if isinstance(source, dict) else None  # werkzeug's MultiDict is a dict
    return value.strip() if isinstance(value, str) else ""


@bp.post("/requests.json")
def post_request():
    """A new request from a channel's key. Open311 adds to the case service's checks only a
    required service_code and description; `attribute[public]=true` says the requester chose to
    publish it."""
    channel = keys.find(_value("api_key"))
    if channel is None:
        return _error(403, "api_key is missing or not valid")
    service_code, description = _value("service_code"), _value("description")
    territory = _value("attribute[territory]") or None
    if territory is None and channel.territory_id is not None:
        territory = db.session.scalar(select(Territory.code).where(Territory.id == channel.territory_id))
    public = _YES_NO.get(_value("attribute[public]").lower())
    extra = {field: [why] for field, why, missing in (
        ("service_code", "required", not service_code), ("description", "required", not description),
        ("attribute[territory]", "the territory code of the place is required for this key",
         territory is None), ("attribute[public]", "true or false", public is None)) if missing}
    token = f"o311-{uuid.uuid4()}"
    name = " ".join(part for part in (_value("first_name"), _value("last_name")) if part) or None
    new = NewCase(title=description.splitlines()[0][:60] if description else "", description=description,
                  address=_value("address_string"), category_code=service_code or None,
                  territory_code=territory, channel=channel.channel, external_ref=token, requester_name=name,
                  requester_phone=_value("phone") or None, public=bool(public))
    check(new, None, extra, FIELD_NAMES)
    case, _ = create_case(new, None)
    return jsonify([{"service_request_id": case.number, "token": token, "service_notice": "",
                     "account_id": None}]), 201


def _open_elements(case_ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    if case_ids:
        for case_id, element in db.session.execute(
                select(HumanTask.case_id, HumanTask.element_id)
                .where(HumanTask.case_id.in_(case_ids), HumanTask.status == "open")):
            found.setdefault(case_id, set()).add(element)
    return found


def _requests(rows) -> list[dict]:
    elements = _open_elements([row.id for row in rows])
    return [service_request(row, elements.get(row.id, set()), row.due_at) for row in rows]


def _readable():
    """The query of what the caller may read: published cases, and with a channel's `api_key`
    also that channel's own (`published` says which rows may show their description); None for
    a key that is not valid."""
    given = request.args.get("api_key")
    channel = keys.find(given) if given else None
    if given and channel is None:
        return None
    published = publication.published()
    readable = or_(published, Case.channel == channel.channel) if channel else published
    return (select(*_COLUMNS, published.label("published"))
            .outerjoin(Category, Category.id == Case.category_id).outerjoin(Unit, Unit.id == Case.unit_id)
            .where(readable))


def _datetime(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    return to_naive_utc(datetime.fromisoformat(raw.replace("Z", "+00:00")))


@bp.get("/requests.json")
def list_requests():
    query = _readable()
    if query is None:
        return _error(403, "api_key is not valid")
    ids = [i for i in request.args.get("service_request_id", "").split(",") if i]
    if ids:
        query = query.where(Case.number.in_(ids[:MAX_LIST]))
    else:
        try:
            end = _datetime("end_date") or utcnow()
            start = _datetime("start_date") or end - timedelta(days=MAX_DAYS)
        except (ValueError, OverflowError):  # OverflowError: a range reaching before year 1
            return _error(400, "start_date and end_date are w3 date-times, e.g. 2026-11-01T00:00:00Z")
        if end - start > timedelta(days=MAX_DAYS) or start > end:
            return _error(400, f"the date range may span at most {MAX_DAYS} days")
        query = query.where(Case.created_at >= start, Case.created_at <= end)
        codes = [c for c in request.args.get("service_code", "").split(",") if c]
        if codes:
            query = query.where(Category.code.in_(codes))
        statuses = {s for s in request.args.get("status", "").split(",") if s}
        if statuses - {"open", "closed"}:
            return _error(400, "status is open, closed or both")
        if len(statuses) == 1:
            query = query.where(Case.status == statuses.pop())
    rows = db.session.execute(query.order_by(Case.id.desc()).limit(MAX_LIST)).all()
    return jsonify(_requests(rows))


@bp.get("/requests/<string:number>.json")
def get_request(number: str):
    query = _readable()
    if query is None:
        return _error(403, "api_key is not valid")
    rows = db.session.execute(query.where(Case.number == number)).all()
    if not rows:
        return _error(404, f"no service request {number}")
    return jsonify(_requests(rows))


@bp.get("/tokens/<string:token>.json")
def token(token: str):
    """Only the tokens this interface hands out (other channels' references are theirs)."""
    number = db.session.scalar(select(Case.number).where(Case.external_ref == token,
                                                         Case.external_ref.startswith("o311-")))
    if number is None:
        return _error(404, f"no request for token {token}")
    return jsonify([{"service_request_id": number, "token": token}])
