"""Who a human task is offered to: the active users holding its role in its unit, without the
one its notBy excludes. One rule, read by the task service (hand-over, directives) and by the
task mirror (a task the process gives to a named user only goes to a candidate)."""
from sqlalchemy import Select, select

from app.accounts.models import Membership, User
from app.engine.transaction import execute


def offered(unit_id: int | None, role: str | None, excluded_user_id: int | None) -> Select:
    """SELECT of the users offered a task with this candidate unit, role and notBy user."""
    members = select(Membership.user_id)
    if unit_id is not None:
        members = members.where(Membership.unit_id == unit_id)
    if role is not None:
        members = members.where(Membership.role == role)
    query = select(User).where(User.id.in_(members), User.active.is_(True))
    if excluded_user_id is not None:
        query = query.where(User.id != excluded_user_id)
    return query


def is_offered(user_id: int, unit_id: int | None, role: str | None, excluded_user_id: int | None) -> bool:
    query = offered(unit_id, role, excluded_user_id).where(User.id == user_id)
    return execute(select(query.exists())).scalar()
