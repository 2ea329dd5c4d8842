"""How a case looks to Open311 clients: status open/closed, the `detailed_status` extension, the
responsible unit, and — only for a published case — its description through the one masking
function (app/privacy/redaction.py). No address, name or phone ever."""
from app.engine import meanings
from app.privacy.redaction import redact
from app.timelimits.process_functions import iso_utc


def iso(moment) -> str | None:
    """w3 date-time in UTC with a Z, as GeoReport clients expect."""
    return iso_utc(moment).replace("+00:00", "Z") if moment else None


def detailed_status(case, open_elements: set[str]) -> str:
    """Where the case's open tasks stand, by their `publicStatus` in the BPMN (CitySDK/Open311
    extension values): RECEIVED while one is marked so, PROCESSED when all are, else IN_PROCESS."""
    if case.outcome == "not_accepted":
        return "REJECTED"
    if case.status == "closed":
        return "ARCHIVED"
    if open_elements & meanings.elements(meanings.PUBLIC_STATUS, "RECEIVED"):
        return "RECEIVED"
    if open_elements and open_elements <= meanings.elements(meanings.PUBLIC_STATUS, "PROCESSED"):
        return "PROCESSED"
    return "IN_PROCESS"


def service_request(case, open_elements: set[str], due_at=None) -> dict:
    return {
        "service_request_id": case.number,
        "status": "closed" if case.status == "closed" else "open",
        "detailed_status": detailed_status(case, open_elements),
        "status_notes": None,
        "service_code": case.category_code,
        "service_name": case.category_name,
        "description": redact(case.description, (case.requester_name,)) if case.published else None,
        "agency_responsible": case.unit_name,
        "service_notice": None,
        "requested_datetime": iso(case.created_at),
        "updated_datetime": iso(case.updated_at or case.created_at),
        "expected_datetime": iso(due_at),
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }
