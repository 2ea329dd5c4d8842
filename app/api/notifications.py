"""The bell: the current user's in-app notifications, the unread count, and marking one read.

Every endpoint needs "notification:read" (every staff role) and only ever touches the caller's own
notifications: another user's notification answers 404, so ids cannot be probed.
"""
from marshmallow import Schema, fields
from sqlalchemy import func, select

from app.api.blueprint import Blueprint
from app.api.fields import PageArgs, UtcDateTime
from app.api.security import current_user, permission_required
from app.clock import utcnow
from app.engine.errors import NotFound
from app.engine.transaction import transaction
from app.extensions import db
from app.notifications.models import Notification

blp = Blueprint("notifications", __name__, description="In-app notifications (the bell)")


class NotificationArgs(PageArgs):
    unread = fields.Boolean(load_default=False, metadata={"description": "only unread ones"})


class NotificationSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer(allow_none=True)
    kind = fields.String()
    text = fields.String()
    created_at = UtcDateTime()
    read_at = UtcDateTime(allow_none=True)


class UnreadCountSchema(Schema):
    unread = fields.Integer()


@blp.route("")
@permission_required("notification:read")
@blp.arguments(NotificationArgs, location="query")
@blp.response(200, NotificationSchema(many=True))
def list_notifications(args):
    """Your notifications, newest first; `unread=true` for the unread ones only."""
    query = select(Notification).where(Notification.user_id == current_user().id)
    if args["unread"]:
        query = query.where(Notification.read_at.is_(None))
    query = (query.order_by(Notification.created_at.desc(), Notification.id.desc())
             .limit(args["limit"]).offset(args["offset"]))
    return db.session.scalars(query).all()


@blp.route("/count")
@permission_required("notification:read")
@blp.response(200, UnreadCountSchema)
def unread_count():
    """How many of your notifications are unread (the number on the bell)."""
    count = db.session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == current_user().id, Notification.read_at.is_(None)))
    return {"unread": count}


@blp.route("/<int:notification_id>/read", methods=["POST"])
@permission_required("notification:read")
@blp.response(200, NotificationSchema)
def mark_read(notification_id):
    """Mark one of your notifications read (repeating it keeps the first reading time)."""
    with transaction():
        row = db.session.get(Notification, notification_id)
        if row is None or row.user_id != current_user().id:
            raise NotFound(f"no notification {notification_id}")
        if row.read_at is None:
            row.read_at = utcnow()
    return row
