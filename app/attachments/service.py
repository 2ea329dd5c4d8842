"""Add and read a case's attachments. Only kinds a browser can show safely are accepted, and the
type is decided from the file's first bytes, not from its name or the browser's claim."""
import hashlib
import re

from sqlalchemy import select

from app.accounts.models import User
from app.attachments.models import CaseAttachment
from app.cases.service import get_visible
from app.engine import history
from app.engine.errors import InvalidData, NotFound
from app.engine.transaction import transaction
from app.extensions import db

MAX_FILES_PER_CASE = 20
MAX_BYTES = 50 * 1024 * 1024

#: (content type, test on the first bytes)
_SIGNATURES = (
    ("image/jpeg", lambda b: b.startswith(b"\xff\xd8\xff")),
    ("image/png", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    ("image/webp", lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
    ("video/mp4", lambda b: b[4:8] == b"ftyp"),
    ("application/pdf", lambda b: b.startswith(b"%PDF-")),
)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def sniff(head: bytes) -> str | None:
    return next((kind for kind, test in _SIGNATURES if test(head)), None)


def clean_filename(name: str) -> str:
    name = _UNSAFE.sub("_", (name or "").strip()).strip(". ") or "file"
    return name[-200:]


#: Citizens' uploads (R5): photos at most 10 MB, videos at most 50 MB.
LIMITS_BY_KIND = {"image": 10 * 1024 * 1024, "video": 50 * 1024 * 1024, "application": 10 * 1024 * 1024}


def check(filename: str, content: bytes) -> str:
    """The file's content type, or InvalidData saying why it is refused (type by content, size by type)."""
    if not content:
        raise InvalidData("empty file", {"file": [f"{clean_filename(filename)}: the file is empty"]})
    kind = sniff(content[:16])
    if kind is None:
        raise InvalidData("file type not accepted", {"file": [
            f"{clean_filename(filename)}: only JPEG, PNG or WebP photos, MP4 videos and PDF documents"]})
    limit = min(MAX_BYTES, LIMITS_BY_KIND[kind.split("/")[0]])
    if len(content) > limit:
        raise InvalidData("file too large",
                          {"file": [f"{clean_filename(filename)}: at most {limit // (1024 * 1024)} MB"]})
    return kind


def store(case_id: int, filename: str, content: bytes, kind: str, actor_id: int | None) -> CaseAttachment:
    """Save a checked file on a case (in the caller's transaction), with a timeline entry."""
    count = db.session.scalar(select(db.func.count()).select_from(CaseAttachment)
                              .where(CaseAttachment.case_id == case_id))
    if count >= MAX_FILES_PER_CASE:
        raise InvalidData("too many files", {"file": [f"a case keeps at most {MAX_FILES_PER_CASE} files"]})
    attachment = CaseAttachment(case_id=case_id, filename=clean_filename(filename), content_type=kind,
                                size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                                uploaded_by_id=actor_id, data=content)
    db.session.add(attachment)
    db.session.flush()
    history.record(case_id, "attachment_added", actor_id=actor_id,
                   payload={"attachment_id": attachment.id, "filename": attachment.filename,
                            "content_type": kind})
    return attachment


def add(user: User, number: str, filename: str, content: bytes) -> CaseAttachment:
    """Attach a file to a visible case: one transaction, with a timeline entry."""
    kind = check(filename, content)
    with transaction():
        case = get_visible(user, number)
        return store(case.id, filename, content, kind, user.id)


def for_case(case_id: int) -> list:
    """The case's files without their bytes, oldest first."""
    return list(db.session.execute(
        select(CaseAttachment.id, CaseAttachment.filename, CaseAttachment.content_type,
               CaseAttachment.size, CaseAttachment.created_at)
        .where(CaseAttachment.case_id == case_id).order_by(CaseAttachment.id)))


def read(user: User, number: str, attachment_id: int) -> CaseAttachment:
    """One file of a case the user may see (others: not found)."""
    case = get_visible(user, number)
    attachment = db.session.scalar(select(CaseAttachment).where(CaseAttachment.id == attachment_id,
                                                                CaseAttachment.case_id == case.id))
    if attachment is None:
        raise NotFound(f"no attachment {attachment_id} on case {number}")
    return attachment
