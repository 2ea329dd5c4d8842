"""Which cases the public may read (Open311), on FixMyStreet's model of public and private reports
with moderation.

A case is public only when its requester chose so (the citizen form's checkbox, Open311's
`attribute[public]`, a channel's `public`), never a report (举报: it would expose the person
reporting) and never a case staff registered (the requester chose nothing). The check at
registration is in app/cases/service.problems; `published()` repeats the rule in SQL, so a row
flagged by hand or by an import cannot slip out. A platform supervisor can unpublish a case;
the OPEN311_PUBLIC_READ setting turns public reads off altogether.
"""
from flask import current_app
from sqlalchemy import and_, false, or_, update

from app.accounts.models import User
from app.cases.models import Case
from app.cases.service import get_visible
from app.engine import history
from app.engine.transaction import execute, transaction


def published():
    """SQL condition: anyone may read the case."""
    if current_app.config["OPEN311_PUBLIC_READ"] != "consented":
        return false()
    return and_(Case.public.is_(True), Case.created_by_id.is_(None),
                or_(Case.request_type.is_(None), Case.request_type != "report"))


def unpublish(user: User, number: str):
    """Moderation: take a visible case off the public reads, recorded on its timeline. Unpublishing
    an unpublished case changes nothing. Returns the case view."""
    with transaction():
        case = get_visible(user, number)
        if case.public:
            execute(update(Case.__table__).where(Case.__table__.c.id == case.id).values(public=False))
            history.record(case.id, "case_unpublished", actor_id=user.id)
    return get_visible(user, number)
