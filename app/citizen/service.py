"""Submit, track and rate without an account.

Tracking needs the case number and the phone given at submission, or the signed tracking link
handed out at submission; a wrong phone reveals nothing (the same answer as an unknown number).
The public view shows status, level, the expected reply date and the released reply — the unit
and its contact phone, never staff names or internal notes.
"""
import hmac
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from app.attachments import service as attachments
from app.cases.models import Case
from app.cases.service import NewCase, create_case
from app.cases.validation import id_number_problem, phone_problem
from app.casework.models import CaseReply
from app.citizen.scope import MATTERS, OUT_OF_SCOPE
from app.engine import tasks
from app.engine.errors import InvalidData
from app.engine.models import HumanTask
from app.extensions import db
from app.organisation.models import Territory, Unit
from app.timelimits.models import REQUEST_TYPES

MAX_FILES = 5


class OutOfScope(Exception):
    """The request matches R7; `where` says where to go instead (an untranslated msgid)."""

    def __init__(self, matter: str):
        super().__init__(matter)
        self.matter, self.where = matter, OUT_OF_SCOPE[matter]


@dataclass
class Submission:
    matter: str
    request_type: str
    title: str
    description: str
    territory_code: str
    phone: str
    address: str = ""
    name: str = ""
    id_number: str = ""
    anonymous: bool = False


def _problems(sub: Submission) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}

    def bad(field, message):
        found.setdefault(field, []).append(message)

    if sub.matter not in MATTERS:
        bad("matter", "choose what the request is about")
    if sub.request_type not in REQUEST_TYPES:
        bad("request_type", "choose a type")
    if not 1 <= len(sub.title) <= 200:
        bad("title", "1 to 200 characters")
    if not 1 <= len(sub.description) <= 5000:
        bad("description", "1 to 5000 characters")
    if len(sub.address) > 200:
        bad("address", "at most 200 characters")
    if len(sub.name) > 100:
        bad("name", "at most 100 characters")
    if not sub.territory_code or db.session.scalar(
            select(Territory.id).where(Territory.code == sub.territory_code)) is None:
        bad("territory_code", "choose where the problem is")
    if phone_problem(sub.phone) if sub.phone else True:
        bad("phone", phone_problem(sub.phone) if sub.phone else "a phone number is needed to reach you")
    if sub.id_number and not sub.anonymous and id_number_problem(sub.id_number):
        bad("id_number", id_number_problem(sub.id_number))
    if any("\x00" in value for value in (sub.title, sub.description, sub.address, sub.name)):
        bad("description", "contains characters that are not allowed")
    return found


def submit(sub: Submission, files: list[tuple[str, bytes]]):
    """Register a citizen's request; everything is checked before anything is written."""
    if sub.matter in OUT_OF_SCOPE:
        raise OutOfScope(sub.matter)
    problems = _problems(sub)
    kinds = []
    if len(files) > MAX_FILES:
        problems.setdefault("files", []).append(f"at most {MAX_FILES} files")
    for filename, content in files[:MAX_FILES]:
        try:
            kinds.append(attachments.check(filename, content))
        except InvalidData as error:
            problems.setdefault("files", []).extend(error.errors["file"])
    if problems:
        raise InvalidData("the request was not sent", problems)
    description = sub.description + (f"\n({sub.address})" if sub.address else "")
    def store_files(case_id: int) -> None:
        for (filename, content), kind in zip(files, kinds, strict=True):
            attachments.store(case_id, filename, content, kind, None)

    case, _ = create_case(NewCase(
        title=sub.title, description=description, territory_code=sub.territory_code, channel="web",
        requester_name=None if sub.anonymous else (sub.name or None), requester_phone=sub.phone,
        id_number=None if sub.anonymous else (sub.id_number or None), request_type=sub.request_type,
        on_created=store_files), None)
    return case


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="huiyin-track")


def tracking_token(number: str) -> str:
    return _serializer().dumps(number)


def number_from_token(token: str) -> str | None:
    try:
        number = _serializer().loads(token)
    except BadSignature:
        return None
    return number if isinstance(number, str) else None


def find(number: str, phone: str) -> Case | None:
    """The case with this number whose requester gave this phone; None otherwise (no hint which)."""
    case = db.session.scalar(select(Case).where(Case.number == (number or "").strip().upper()))
    given = (phone or "").strip()
    if case is None or not case.requester_phone or not hmac.compare_digest(
            case.requester_phone.encode(), given.encode()):
        return None
    return case


def by_number(number: str) -> Case | None:
    return db.session.scalar(select(Case).where(Case.number == number))


@dataclass
class PublicView:
    number: str
    title: str
    status: str
    outcome: str | None
    level: str | None
    expected_reply: object
    reply_result: str | None
    reply_policy: str | None
    reply_unit: str | None
    reply_phone: str | None
    can_rate: bool
    satisfaction: str | None
    resolution: str | None


def public_view(case: Case) -> PublicView:
    open_tasks = db.session.execute(select(HumanTask.element_id, HumanTask.due_at).where(
        HumanTask.case_id == case.id, HumanTask.status == "open")).all()
    handling_due = [due for element, due in open_tasks if element in ("handle", "first_contact") and due]
    reply = db.session.execute(
        select(CaseReply.result, CaseReply.policy_basis, CaseReply.contact_phone, Unit.name)
        .outerjoin(Unit, Unit.id == CaseReply.unit_id)
        .where(CaseReply.case_id == case.id, CaseReply.status == "released")
        .order_by(CaseReply.id.desc()).limit(1)).first()
    return PublicView(
        number=case.number, title=case.title, status=case.status, outcome=case.outcome, level=case.level,
        expected_reply=max(handling_due) if handling_due else None,
        reply_result=reply.result if reply else None, reply_policy=reply.policy_basis if reply else None,
        reply_unit=reply.name if reply else None, reply_phone=reply.contact_phone if reply else None,
        can_rate=any(element == "rating" for element, _ in open_tasks),
        satisfaction=case.satisfaction, resolution=case.resolution)


def rate(case: Case, satisfaction: str, resolution: str, comment: str) -> None:
    """The requester's own rating (R25); the case must be waiting for it (so never twice)."""
    data = {"satisfaction": satisfaction, "resolution": resolution, "rating_channel": "online"}
    if comment:
        data["rating_comment"] = comment
    tasks.complete_for_requester(case.id, "rating", data)
