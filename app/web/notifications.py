"""The bell: the unread count in every page's header, /notifications and "mark all read"."""
from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import ngettext
from sqlalchemy import func, select, update

from app.cases.models import Case
from app.clock import utcnow
from app.engine.transaction import transaction
from app.extensions import db
from app.notifications.models import Notification
from app.web.cases import page_number
from app.web.security import current_user, login_required

bp = Blueprint("web_notifications", __name__)

PAGE_SIZE = 100
#: `g` key of the cached count; app.web.security.forget_request_state drops it per request.
UNREAD_KEY = "unread_notifications"


def unread_count() -> int:
    """The signed-in user's unread notifications: one COUNT query per request, on first use
    (base.html asks for it in the header; pages without the header never query)."""
    count = g.get(UNREAD_KEY)
    if count is None:
        user = current_user()
        count = 0 if user is None else db.session.scalar(
            select(func.count()).select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None)))
        setattr(g, UNREAD_KEY, count)
    return count


@bp.get("/notifications")
@login_required()
def notification_list():
    page = page_number()
    rows = db.session.execute(
        select(Notification, Case.number).outerjoin(Case, Case.id == Notification.case_id)
        .where(Notification.user_id == current_user().id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("notifications.html", rows=rows[:PAGE_SIZE], page=page,
                           has_next=len(rows) > PAGE_SIZE)


@bp.post("/notifications/read-all")
@login_required()
def mark_all_read():
    with transaction():
        marked = db.session.execute(
            update(Notification)
            .where(Notification.user_id == current_user().id, Notification.read_at.is_(None))
            .values(read_at=utcnow())).rowcount
    flash(ngettext("%(num)d notification marked as read.", "%(num)d notifications marked as read.", marked),
          "success")
    return redirect(url_for(".notification_list"))
