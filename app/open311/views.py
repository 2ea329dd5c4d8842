"""Open311 GeoReport v2 endpoints (JSON only; XML is not offered, discovery.json says so).

Errors are a JSON list of {code, description}, as the specification shows. Listing requests is
limited to 90 days and 1,000 requests, newest first.
"""
import uuid
from datetime import datetime, timedelta

from flask import Blueprint, jsonify, request, url_for
from sqlalchemy import func, select

from app.cases.models import Case
from app.cases.service import NewCase, create_case
from app.cases.validation import phone_problem
from app.channels import keys
from app.clock import to_naive_utc, utcnow
from app.engine.errors import EngineError, InvalidData
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
_REQUESTS = (select(Case.id, Case.number, Case.status, Case.outcome, Case.description, Case.created_at,
                    Category.code.label("category_code"), Category.name.label("category_name"),
                    Unit.name.label("unit_name"), _UPDATED.label("updated_at"), _DUE.label("due_at"))
             .outerjoin(Category, Category.id == Case.category_id).outerjoin(Unit, Unit.id == Case.unit_id))


def _error(status: int, description: str):
    return jsonify([{"code": status, "description": description}]), status


@bp.errorhandler(EngineError)
def _engine_error(error: EngineError):
    return _error(error.status if error.status < 500 else 400, str(error))


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
    channel = keys.find(_value("api_key"))
    if channel is None:
        return _error(403, "api_key is missing or not valid")
    problems = {}
    service_code, description = _value("service_code"), _value("description")
    if not service_code:
        problems["service_code"] = "required"
    if not description or len(description) > 10000:
        problems["description"] = "required, at most 10000 characters"
    phone = _value("phone") or None
    if phone and phone_problem(phone):
        problems["phone"] = phone_problem(phone)
    territory = _value("attribute[territory]") or None
    if territory is None and channel.territory_id is not None:
        territory = db.session.scalar(select(Territory.code).where(Territory.id == channel.territory_id))
    if territory is None:
        problems["attribute[territory]"] = "the territory code of the place is required for this key"
    if problems:
        return _error(400, "; ".join(f"{name}: {why}" for name, why in problems.items()))
    address = _value("address_string")
    token = f"o311-{uuid.uuid4()}"
    name = " ".join(part for part in (_value("first_name"), _value("last_name")) if part) or None
    if address:
        description = f"{description}\n({address})"
    try:
        case, _ = create_case(NewCase(
            title=description.splitlines()[0][:60], description=description,
            category_code=service_code, territory_code=territory, channel=channel.channel,
            external_ref=token, requester_name=name, requester_phone=phone), None)
    except InvalidData as error:
        return _error(400, "; ".join(f"{k}: {', '.join(v)}" for k, v in (error.errors or {}).items())
                      or str(error))
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


def _datetime(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    return to_naive_utc(datetime.fromisoformat(raw.replace("Z", "+00:00")))


@bp.get("/requests.json")
def list_requests():
    ids = [i for i in request.args.get("service_request_id", "").split(",") if i]
    query = _REQUESTS
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
    rows = db.session.execute(_REQUESTS.where(Case.number == number)).all()
    if not rows:
        return _error(404, f"no service request {number}")
    return jsonify(_requests(rows))


@bp.get("/tokens/<string:token>.json")
def token(token: str):
    number = db.session.scalar(select(Case.number).where(Case.external_ref == token))
    if number is None:
        return _error(404, f"no request for token {token}")
    return jsonify([{"service_request_id": number, "token": token}])
