"""Personal data shown to staff: masked by default, revealed only on request and audited."""
import logging

from sqlalchemy import exists, select

from app.accounts.models import User
from app.engine.errors import Forbidden
from app.engine.models import HumanTask
from app.extensions import db
from app.privacy.crypto import decrypt
from app.privacy.masking import mask_id_number, mask_phone
from app.privacy.models import PersonalDataAccess

log = logging.getLogger(__name__)

#: Roles that may reveal any case they can see; handlers only a case they hold an open task of.
REVEAL_ANY = {"registrar", "platform_supervisor"}


def masked(case) -> dict:
    """The requester's data as every page, API response, export and log shows it."""
    id_number = decrypt(case.id_number_cipher) if case.id_number_cipher else None
    return {"requester_name": case.requester_name, "requester_phone": mask_phone(case.requester_phone),
            "id_number": mask_id_number(id_number)}


def may_reveal(user: User, case) -> bool:
    """Whether `reveal` would show this user the case's full data (pages offer the button only then)."""
    if user.roles & REVEAL_ANY:
        return True
    return "handler" in user.roles and bool(db.session.scalar(select(exists().where(
        HumanTask.case_id == case.id, HumanTask.assignee_id == user.id, HumanTask.status == "open"))))


def reveal(user: User, case, via: str) -> dict:
    """Unmasked phone and ID number, after checking the user needs them; writes the audit row.
    The caller commits (the audit row and the answer stand or fall together)."""
    if not may_reveal(user, case):
        raise Forbidden("only the registrar, revisit staff and the handler holding the case "
                        "may see the requester's full phone and ID number")
    db.session.add(PersonalDataAccess(user_id=user.id, case_id=case.id, via=via,
                                      fields="requester_phone,id_number"))
    log.info("user %s revealed the personal data of case %s via %s", user.username, case.number, via)
    return {"requester_name": case.requester_name, "requester_phone": case.requester_phone,
            "id_number": decrypt(case.id_number_cipher) if case.id_number_cipher else None}
