"""Submit, track and rate without an account.

A report is created once: the form carries a one-time submission token, used as the case's
external_ref on the "web" channel, so a repeated POST (a double click, a resent form) answers with
the first case — but only to the same phone, so a token cannot fish for someone else's case.

Tracking needs the case number and the phone given at submission, or the signed tracking link
handed out at submission; a wrong phone reveals nothing (the same answer as an unknown number).
The public view shows status, level, the expected reply date and the released reply — the unit
and its contact phone (R24: the unit's official number, its own field, shown as given), never
staff names or internal notes; the title and the reply's text go through the one masking
function (app/privacy/redaction.py).
"""
import hmac
import math
import re
import secrets
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from app.attachments import service as attachments
from app.attachments.models import CaseAttachment
from app.cases.models import Case
from app.cases.service import NewCase, check, create_case
from app.casework.models import CaseReply
from app.citizen import categories, places, progress
from app.citizen.links import number_from_token, tracking_token  # noqa: F401 (the public pages' links)
from app.citizen.scope import MATTERS, OUT_OF_SCOPE
from app.engine import meanings, tasks
from app.engine.errors import Conflict, InvalidData
from app.engine.models import HumanTask
from app.extensions import db
from app.i18n import N_
from app.organisation.models import Unit
from app.privacy.redaction import redact

MAX_FILES = 5
#: The case service's field names -> the report form's.
FIELD_NAMES = {"requester_phone": "phone", "requester_name": "name", "external_ref": "submission",
               "category_code": "category"}
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
NO_TOKEN = N_("This form did not come from the report page; please open the report page again and "
              "send it from there.")
NOT_A_FILE = N_("%(file)s cannot be taken: photos are JPEG, PNG or WebP of at most 10 MB, videos MP4 "
                "of at most 50 MB")
TOO_MANY_FILES = N_("at most %(count)s photos or videos")
NOT_A_POSITION = N_("the position could not be read; remove it and add it again")
REQUIRED = {"matter": N_("choose what the request is about"), "request_type": N_("choose a type"),
            "title": N_("give the request a short title"), "description": N_("describe the problem"),
            "territory_code": N_("choose where the problem is"),
            "phone": N_("a phone number is needed to reach you")}
OTHER_PHONE = N_("This form was already sent, with another phone number. To send a new request, open "
                 "the report page again.")


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
    token: str  # the form's one-time submission token (new_token)
    address: str = ""
    #: the picker's choice, level -> code (app/citizen/places.py), when no territory_code is fixed
    place: dict[str, str] = field(default_factory=dict)
    category: str = ""  # a category code; none: proposed from the text (app/citizen/categories.py)
    latitude: str = ""  # the phone's position, as the form sends it
    longitude: str = ""
    name: str = ""
    id_number: str = ""
    anonymous: bool = False
    public: bool = False


def new_token() -> str:
    """A submission token for a freshly opened report form."""
    return secrets.token_urlsafe(24)


def _extras(sub: Submission) -> dict[str, list]:
    """What the report form needs beyond the case service's checks."""
    found: dict[str, list] = {}
    if sub.matter not in MATTERS:
        found["matter"] = [REQUIRED["matter"]]
    for name in ("request_type", "title", "description", "territory_code", "phone"):
        if not getattr(sub, name):
            found[name] = [REQUIRED[name]]
    if not _TOKEN.match(sub.token or ""):
        found["submission"] = [NO_TOKEN]
    return found


def _position(sub: Submission) -> tuple[float | None, float | None] | None:
    """The form's coordinates as numbers ((None, None) when not sent); None when not numbers."""
    if not sub.latitude and not sub.longitude:
        return None, None
    try:
        latitude, longitude = float(sub.latitude), float(sub.longitude)
    except ValueError:
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    return round(latitude, 6), round(longitude, 6)


def submit(sub: Submission, files: list[tuple[str, bytes]]):
    """Register a citizen's request; everything is checked before anything is written. A repeat
    of the same form (its token) answers with the case it created."""
    if sub.matter in OUT_OF_SCOPE:
        raise OutOfScope(sub.matter)
    place_problem = None
    if not sub.territory_code:
        chosen, place_problem = places.chosen(sub.place)
        sub = replace(sub, territory_code=chosen)
    problems = _extras(sub)
    if place_problem:
        problems["territory_code"] = [place_problem]
    position = _position(sub)
    if position is None:
        problems["position"] = [NOT_A_POSITION]
    latitude, longitude = position or (None, None)
    category = sub.category or categories.guess(f"{sub.title} {sub.description}")
    kinds = []
    if len(files) > MAX_FILES:
        problems.setdefault("files", []).append((TOO_MANY_FILES, {"count": MAX_FILES}))
    for filename, content in files[:MAX_FILES]:
        try:
            kinds.append(attachments.check(filename, content))
        except InvalidData:
            problems.setdefault("files", []).append(
                (NOT_A_FILE, {"file": attachments.clean_filename(filename)}))

    def store_files(case_id: int) -> None:
        for (filename, content), kind in zip(files, kinds, strict=True):
            attachments.store(case_id, filename, content, kind, None)

    new = NewCase(
        title=sub.title, description=sub.description, address=sub.address,
        territory_code=sub.territory_code or None, channel="web", external_ref=sub.token,
        requester_name=None if sub.anonymous else (sub.name or None), requester_phone=sub.phone or None,
        id_number=None if sub.anonymous else (sub.id_number or None), request_type=sub.request_type or None,
        public=sub.public, category_code=category or None, latitude=latitude, longitude=longitude,
        on_created=store_files)
    check(new, None, problems, FIELD_NAMES)
    case, created = create_case(new, None)
    if not created and not hmac.compare_digest((case.requester_phone or "").encode(), sub.phone.encode()):
        raise InvalidData("the form was sent already", {"submission": [OTHER_PHONE]})
    return case


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
    steps: list[progress.Step]
    photos: list[int]  # ids of the photos the requester sent
    merged: "MergedAnswer | None" = None


#: Photos the requester sent: images no staff member uploaded.
_REQUESTERS_PHOTOS = select(CaseAttachment.id).where(CaseAttachment.uploaded_by_id.is_(None),
                                                     CaseAttachment.content_type.like("image/%"))


@dataclass
class MergedAnswer:
    """A merged duplicate's answer: the main case's released reply (none yet: result None)."""

    into: str
    result: str | None
    policy: str | None
    unit: str | None
    phone: str | None


def _open_tasks(case_id: int) -> list:
    return db.session.execute(select(HumanTask.element_id, HumanTask.due_at).where(
        HumanTask.case_id == case_id, HumanTask.status == "open")).all()


def public_view(case: Case) -> PublicView:
    """What the requester sees: the answer date is the due date of an open task marked `reply_due`
    in the BPMN, and they may rate while a task marked `rating` is open (app/engine/meanings.py)."""
    open_tasks = _open_tasks(case.id)
    answering = meanings.elements(meanings.MEANING, "reply_due")
    rating = meanings.elements(meanings.MEANING, "rating")
    handling_due = [due for element, due in open_tasks if element in answering and due]
    reply = _released_reply(case.id)
    names = (case.requester_name,)
    return PublicView(
        number=case.number, title=redact(case.title, names), status=case.status, outcome=case.outcome,
        level=case.level, expected_reply=max(handling_due) if handling_due else None,
        reply_result=redact(reply.result, names) if reply else None,
        reply_policy=redact(reply.policy_basis, names) if reply else None,
        reply_unit=reply.name if reply else None, reply_phone=reply.contact_phone if reply else None,
        can_rate=any(element in rating for element, _ in open_tasks),
        satisfaction=case.satisfaction, resolution=case.resolution,
        steps=progress.steps(case.id, case.created_at, case.status == "closed"),
        photos=list(db.session.scalars(_REQUESTERS_PHOTOS.where(CaseAttachment.case_id == case.id)
                                       .order_by(CaseAttachment.id))),
        merged=merged_answer(case))


def photo(case: Case, attachment_id: int) -> CaseAttachment | None:
    """One photo the requester sent with this case (none of staff's files, nothing of another case)."""
    return db.session.scalar(select(CaseAttachment).where(
        CaseAttachment.id == attachment_id, CaseAttachment.case_id == case.id,
        CaseAttachment.id.in_(_REQUESTERS_PHOTOS)))


def _released_reply(case_id: int):
    return db.session.execute(
        select(CaseReply.result, CaseReply.policy_basis, CaseReply.contact_phone, Unit.name)
        .outerjoin(Unit, Unit.id == CaseReply.unit_id)
        .where(CaseReply.case_id == case_id, CaseReply.status == "released")
        .order_by(CaseReply.id.desc()).limit(1)).first()


def merged_answer(case: Case) -> MergedAnswer | None:
    """For a duplicate merged into a main case (app/cases/merging.py): the main case's number and
    its released reply, masked for both requesters; nothing else of the main case is shown."""
    if case.merged_into_id is None:
        return None
    main = db.session.get(Case, case.merged_into_id)
    reply = _released_reply(main.id)
    names = (case.requester_name, main.requester_name)
    if reply is None:
        return MergedAnswer(main.number, None, None, None, None)
    return MergedAnswer(main.number, redact(reply.result, names), redact(reply.policy_basis, names),
                        reply.name, reply.contact_phone)


def rate(case: Case, satisfaction: str, resolution: str, comment: str) -> None:
    """The requester's own rating (R25); the case must be waiting for it (so never twice)."""
    data = {"satisfaction": satisfaction, "resolution": resolution, "rating_channel": "online"}
    if comment:
        data["rating_comment"] = comment
    rating = meanings.elements(meanings.MEANING, "rating")
    element = next((element for element, _ in _open_tasks(case.id) if element in rating), None)
    if element is None:
        raise Conflict(f"case {case.number} is not waiting for a rating")
    tasks.complete_for_requester(case.id, element, data)
