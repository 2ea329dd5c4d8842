"""Write notifications into the outbox, in the same transaction as the change that causes them.

`enqueue` only adds rows to the current session and never commits: the messages commit with the
case change (and vanish with it on rollback), so nobody is told about a change that did not
happen, and nothing is lost when a sender is down — the dispatcher sends and retries later.

Privacy: texts go to e-mail and SMS providers outside the platform. Callers pass texts WITHOUT
requester personal data (no phone or ID numbers, no addresses) — the case number and title are
enough; recipients open the case in Huiyin to see the rest.
"""
from collections.abc import Iterable, Sequence

from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.accounts.models import Membership, User
from app.extensions import db
from app.i18n import DEFAULT_LOCALE
from app.notifications.models import CHANNELS, OutboxMessage

_SUBJECT_MAX = 200


def _address(user: User, channel: str) -> str | None:
    if channel == "email":
        return (user.email or "").strip() or None
    if channel == "sms":
        return (user.mobile or "").strip() or None
    return None


def enqueue(kind: str, text: str, *, users: Iterable[User] = (), case_id: int | None = None,
            subject: str = "", channels: Sequence[str] = CHANNELS) -> list[OutboxMessage]:
    """Add one outbox message per user and channel to the current session (no commit).

    in_app always; email only for users with an e-mail address; sms only for users with a
    mobile number. Returns the rows added. `text` must not contain requester personal data.
    """
    unknown = set(channels) - set(CHANNELS)
    if unknown:
        raise ValueError(f"unknown notification channel(s): {', '.join(sorted(unknown))}")
    subject = (subject or "")[:_SUBJECT_MAX]
    added, seen = [], set()
    for user in users:
        if user.id in seen:  # users must be flushed (have an id)
            continue
        seen.add(user.id)
        for channel in channels:
            address = _address(user, channel)
            if channel != "in_app" and address is None:
                continue
            message = OutboxMessage(channel=channel, user_id=user.id, address=address, case_id=case_id,
                                    kind=kind, subject=subject, body=text, status="pending", attempts=0)
            db.session.add(message)
            added.append(message)
    return added


def notify_units(kind: str, text: str, unit_ids: Iterable[int], roles: Sequence[str] = ("handler",),
                 case_id: int | None = None, *, subject: str = "",
                 channels: Sequence[str] = CHANNELS) -> list[OutboxMessage]:
    """Enqueue `text` for the active users holding any of `roles` in any of `unit_ids`."""
    unit_ids = list(unit_ids)
    if not unit_ids or not roles:
        return []
    holders = select(Membership.user_id).where(Membership.unit_id.in_(unit_ids), Membership.role.in_(roles))
    users = db.session.scalars(  # one query: memberships are not needed here
        select(User).where(User.id.in_(holders), User.active.is_(True)).order_by(User.id)
        .options(lazyload(User.memberships))).all()
    return enqueue(kind, text, users=users, case_id=case_id, subject=subject, channels=channels)


def enqueue_to_requester(kind: str, text: str, phone: str, case_id: int) -> OutboxMessage:
    """An SMS to a citizen (not a user): the one place a requester's phone enters the outbox. It
    ends with the case's tracking link (app/citizen/links.py), where they follow and rate it."""
    from app.cases.models import Case  # the cases package writes notifications: imported when needed
    from app.citizen.links import tracking_url

    link = tracking_url(db.session.scalar(select(Case.number).where(Case.id == case_id)))
    if link:
        with force_locale(DEFAULT_LOCALE):
            follow = gettext("Follow it and rate the answer: %(link)s", link=link)
        text = f"{text} {follow}"
    message = OutboxMessage(channel="sms", address=phone, case_id=case_id, kind=kind, body=text)
    db.session.add(message)
    return message
